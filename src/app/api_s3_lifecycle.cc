// S3's lifecycle calls on a bucket of the lake (lake/lifecycle.h), so that
// `aws s3api put-bucket-lifecycle-configuration`, an SDK's or Terraform's
// aws_s3_bucket_lifecycle_configuration set expiry rules:
//   PUT    /{bucket}?lifecycle   PutBucketLifecycleConfiguration (XML body)
//   GET    /{bucket}?lifecycle   GetBucketLifecycleConfiguration
//   DELETE /{bucket}?lifecycle   DeleteBucketLifecycle
#include "app/lake_lifecycle.h"
#include "app/lake_reads.h"
#include "app/s3_api_util.h"

namespace tributary::app {

net::HttpResponse ServeS3Lifecycle(Server* server, const net::HttpRequest& req,
                                   const std::string& bucket) {
  auto refusal = [](const Status& st) {
    if (st.code() == ErrorCode::kFailedPrecondition)
      return S3Error(501, "NotImplemented", st.message());
    return S3Error(st, false);
  };
  if (Status st = BucketToRead(server, bucket).status(); !st.ok())
    return S3Error(st, false);  // NoSuchBucket
  if (req.method == "GET") {
    Result<lake::LifecycleConfiguration> config = GetLifecycle(server, bucket);
    if (config.status().code() == ErrorCode::kNotFound) {
      return S3Error(404, "NoSuchLifecycleConfiguration", config.status().message());
    }
    if (!config.ok()) return refusal(config.status());
    return S3Xml(lake::LifecycleToXml(*config));
  }
  if (req.method == "PUT") {
    Result<lake::LifecycleConfiguration> config = lake::LifecycleFromXml(req.body);
    if (!config.ok()) {
      const bool malformed = config.status().message().find("is not XML") != std::string::npos;
      return S3Error(400, malformed ? "MalformedXML" : "InvalidArgument",
                     config.status().message());
    }
    if (Status st = PutLifecycle(server, bucket, *config); !st.ok()) return refusal(st);
    return net::HttpResponse{};
  }
  if (req.method == "DELETE") {
    Status st = DeleteLifecycle(server, bucket);
    if (!st.ok() && st.code() != ErrorCode::kNotFound) return refusal(st);  // S3: 204 either way
    net::HttpResponse r;
    r.status = 204;
    return r;
  }
  return S3Error(405, "MethodNotAllowed",
                 req.method + " ?lifecycle is not served (GET, PUT and DELETE are)");
}

}  // namespace tributary::app
