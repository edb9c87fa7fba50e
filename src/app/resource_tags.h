// Tags on the resources AWS's APIs name by ARN (delivery streams, SageMaker's models,
// endpoint configs, endpoints and training jobs): what TagDeliveryStream and AddTags keep
// and ListTagsForDeliveryStream and ListTags give back, so that tools that tag what they
// make and read the tags back (Terraform, the SDKs' higher-level clients) work. Tags
// describe; nothing here acts on them. Kept in the metadata database, so every server of
// a deployment sees the same; a resource's tags go when it is deleted (Forget), through
// AWS's API or Tributary's own.
//
// AWS's limits, each refusal naming the tag: at most 50 tags a resource, keys of 1..128
// characters not starting with "aws:", values of at most 256.
//
// Thread-safe (the database serialises).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"

namespace tributary::metadata { class Database; }

namespace tributary::app {

using Tags = std::map<std::string, std::string>;

// InvalidArgument naming the first tag AWS would refuse.
Status ValidateTags(const Tags& tags);

class ResourceTags {
 public:
  static constexpr size_t kMaxTags = 50;

  // Creates the table on first use. `db` must outlive the store.
  static Result<std::unique_ptr<ResourceTags>> Open(metadata::Database* db);

  // Adds `tags` to the resource's, a key it has already taking the new value.
  // ResourceExhausted when the resource would have more than kMaxTags.
  Status Add(const std::string& arn, const Tags& tags);
  // Removes the keys (those it does not have are ignored, as AWS does).
  Status Remove(const std::string& arn, const std::vector<std::string>& keys);
  Result<Tags> List(const std::string& arn) const;  // by key
  // Removes every tag of the resource (it was deleted).
  Status Forget(const std::string& arn);

 private:
  explicit ResourceTags(metadata::Database* db) : db_(db) {}
  metadata::Database* db_;
};

}  // namespace tributary::app
