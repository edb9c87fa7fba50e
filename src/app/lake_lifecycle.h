// Buckets' lifecycle rules (lake/lifecycle.h) as the API's two views serve them: S3's
// Put/Get/DeleteBucketLifecycleConfiguration (api_s3_lifecycle.cc) and
// /v1/lake/buckets/{bucket}/lifecycle (api_lake.cc), which check first that the bucket is
// in the lake (each answers a missing one its own way). The control server's: an ingest
// server answers FailedPrecondition.
#pragma once

#include <string>

#include "base/status.h"
#include "lake/lifecycle.h"
#include "lake/lifecycle_sweeper.h"

namespace tributary::app {

class Server;

// Replaces the bucket's rules and has the sweeper apply them now.
Status PutLifecycle(Server* server, const std::string& bucket,
                    const lake::LifecycleConfiguration& config);
// NotFound when the bucket has no rules.
Result<lake::LifecycleConfiguration> GetLifecycle(Server* server, const std::string& bucket);
Status DeleteLifecycle(Server* server, const std::string& bucket);
// Applies the bucket's rules now; what was deleted.
Result<lake::ExpirySummary> SweepLifecycle(Server* server, const std::string& bucket);

}  // namespace tributary::app
