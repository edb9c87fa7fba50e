#include "serving/artifact_fetch.h"

#include <filesystem>

#include "base/files.h"
#include "base/ids.h"
#include "lake/catalog.h"
#include "objstore/prefix_copy.h"

namespace tributary::serving {

namespace fs = std::filesystem;

Status FetchModelArtifact(Model& m, objstore::ObjectStoreProvider& lake, const std::string& cache_root) {
  if (m.artifact_uri.empty()) return Status::Ok();
  TRY_ASSIGN(lake::LakePath uri, lake::LakePath::Parse(m.artifact_uri));
  TRY(MakeDirs(cache_root));
  const std::string target = (fs::path(cache_root) / m.name).string();
  const std::string staging = target + ".tmp-" + RandomHex(4);
  std::error_code ec;
  auto cleanup = [&] { fs::remove_all(staging, ec); };
  TRY_ASSIGN(auto bucket, lake.Bucket(uri.bucket));
  Result<size_t> count = objstore::DownloadPrefix(*bucket, uri.prefix, staging);
  if (!count.ok()) {
    cleanup();
    return count.status().WithContext("Artifact '" + m.artifact_uri + "'");
  }
  if (*count == 0) {
    cleanup();
    return InvalidArgument("Artifact: no objects under '" + m.artifact_uri + "' in the lake");
  }
  Model staged = m;
  staged.artifact = staging;
  if (Status st = CheckArtifactDirectory(staged); !st.ok()) {
    cleanup();
    return st;
  }
  fs::remove_all(target, ec);
  fs::rename(staging, target, ec);
  if (ec) {
    cleanup();
    return IoError("Artifact: cannot move the copy of '" + m.artifact_uri + "' to " + target + ": " + ec.message());
  }
  m.artifact = target;
  return Status::Ok();
}

Status EnsureModelArtifact(Model& m, objstore::ObjectStoreProvider& lake, const std::string& cache_root) {
  if (m.artifact_uri.empty()) return Status::Ok();
  std::error_code ec;
  if (!m.artifact.empty() && fs::is_directory(m.artifact, ec)) return Status::Ok();
  return FetchModelArtifact(m, lake, cache_root);
}

void RemoveModelArtifactCopy(const Model& m) {
  if (m.artifact_uri.empty() || m.artifact.empty()) return;
  std::error_code ec;
  fs::remove_all(m.artifact, ec);
}

Result<Model> RegisterModel(const nlohmann::json& request, ServingStore& store, objstore::ObjectStoreProvider& lake,
                            const std::string& cache_root) {
  TRY_ASSIGN(Model model, ParseModel(request));
  if (store.GetModel(model.name).ok()) {  // before a download replaces its copy
    return AlreadyExists("model '" + model.name + "' already exists");
  }
  TRY(FetchModelArtifact(model, lake, cache_root));
  TRY(store.CreateModel(model));
  return model;
}

}  // namespace tributary::serving
