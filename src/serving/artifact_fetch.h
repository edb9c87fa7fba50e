// Models whose artifact is in the lake (a training job's S3ModelArtifacts): the worker
// processes read a local directory, so the artifact is copied to
// <cache_root>/<model name>/ when the model is created, and again when a fleet starts
// and the copy is missing (a data directory restored without its cache).
//
//   TRY_ASSIGN(Model m, ParseModel(body));            // m.artifact_uri set, m.artifact ""
//   TRY(FetchModelArtifact(m, *lake, data_dir + "/models"));  // m.artifact = the copy
//
// The copy is made in a temporary directory beside the target, checked
// (CheckArtifactDirectory: model.json, or model directories for a multi-model
// artifact) and renamed into place, so a half-copied artifact is never served.
// Thread-safety: calls for different models may run at once; for one model, one at a time.
#pragma once

#include <string>

#include "base/status.h"
#include "objstore/object_store.h"
#include "serving/resources.h"
#include "serving/store.h"

namespace tributary::serving {

// Copies m.artifact_uri to <cache_root>/<m.name>/ (replacing an older copy) and sets
// m.artifact to it. A model without artifact_uri is left alone.
Status FetchModelArtifact(Model& m, objstore::ObjectStoreProvider& lake, const std::string& cache_root);

// FetchModelArtifact when the local copy of a lake artifact is missing.
Status EnsureModelArtifact(Model& m, objstore::ObjectStoreProvider& lake, const std::string& cache_root);

// CreateModel's whole path, shared by the HTTP API and the drift monitors: parses the
// request (ParseModel), refuses a name in use before any download replaces its copy,
// fetches a lake artifact and records the model.
Result<Model> RegisterModel(const nlohmann::json& request, ServingStore& store, objstore::ObjectStoreProvider& lake,
                            const std::string& cache_root);

// Removes the local copy of a lake artifact (after the model is deleted).
void RemoveModelArtifactCopy(const Model& m);

}  // namespace tributary::serving
