#include "serving/transform_jobs.h"

#include <condition_variable>
#include <deque>

#include "base/clock.h"
#include "base/log.h"
#include "base/start_thread.h"
#include "serving/resources.h"

namespace tributary::serving {

namespace {

using metadata::Value;
using nlohmann::json;

constexpr char kSchemaV1[] = R"sql(
CREATE TABLE serving_transform_jobs(name TEXT PRIMARY KEY, document TEXT NOT NULL);
)sql";

Result<std::pair<std::string, std::string>> Location(const json& request, const char* key) {
  const json* loc = request.contains(key) ? &request[key] : nullptr;
  if (loc == nullptr || !loc->is_object() || !loc->contains("Bucket") || !(*loc)["Bucket"].is_string() ||
      (*loc)["Bucket"].get<std::string>().empty()) {
    return InvalidArgument(std::string(key) + ": needs {\"Bucket\": ..., \"Prefix\": ...}");
  }
  std::string prefix;
  if (loc->contains("Prefix")) {
    if (!(*loc)["Prefix"].is_string()) return InvalidArgument(std::string(key) + ".Prefix: must be a string");
    prefix = (*loc)["Prefix"].get<std::string>();
  }
  return std::make_pair((*loc)["Bucket"].get<std::string>(), prefix);
}

// An optional integer member in lo..hi; InvalidArgument naming it for any other value
// or type (json's value(key, default) would throw on a string).
Result<int> IntField(const json& request, const char* key, int fallback, int lo, int hi) {
  auto it = request.find(key);
  if (it == request.end() || it->is_null()) return fallback;
  // An unsigned one past int64's range is refused before it is read as one.
  if (!it->is_number_integer() ||
      (it->is_number_unsigned() && it->get<uint64_t>() > static_cast<uint64_t>(hi)) ||
      it->get<int64_t>() < lo || it->get<int64_t>() > hi) {
    return InvalidArgument(std::string(key) + ": must be an integer " + std::to_string(lo) + ".." +
                           std::to_string(hi) + ", got " + it->dump());
  }
  return static_cast<int>(it->get<int64_t>());
}

}  // namespace

struct TransformJobs::Job {
  json doc;  // the request plus TransformJobStatus, FailureReason, counts, times
  std::atomic<bool> cancel{false};
  std::thread thread;
};

Result<std::unique_ptr<TransformJobs>> TransformJobs::Open(metadata::Database* db, EndpointManager* endpoints,
                                                           objstore::ObjectStoreProvider* lake) {
  TRY(db->Migrate("serving.transform", 1, kSchemaV1));
  std::unique_ptr<TransformJobs> jobs(new TransformJobs(db, endpoints, lake));
  TRY_ASSIGN(auto rows, db->Query("SELECT name, document FROM serving_transform_jobs"));
  for (const auto& row : rows) {
    json doc = json::parse(row.Text(1), nullptr, false);
    if (doc.is_discarded() || doc.value("TransformJobStatus", "") != "InProgress") continue;
    doc["TransformJobStatus"] = "Failed";
    doc["FailureReason"] = "the server stopped while the job ran";
    TRY(db->Exec("UPDATE serving_transform_jobs SET document=? WHERE name=?",
                 {Value(doc.dump()), Value(row.Text(0))})
            .status());
  }
  return jobs;
}

TransformJobs::~TransformJobs() { Stop(); }

Status TransformJobs::Save(const Job& job) {
  std::string name = job.doc["TransformJobName"];
  return db_->Exec("INSERT INTO serving_transform_jobs(name, document) VALUES(?, ?) "
                   "ON CONFLICT(name) DO UPDATE SET document=excluded.document",
                   {Value(name), Value(job.doc.dump())})
      .status();
}

Status TransformJobs::Start(const json& request) {
  if (!request.is_object()) return InvalidArgument("transform job: expected a JSON object");
  if (!request.contains("TransformJobName") || !request["TransformJobName"].is_string()) {
    return InvalidArgument("TransformJobName: missing or not a string");
  }
  std::string name = request["TransformJobName"];
  TRY(ValidateResourceName("transform job", name));
  if (!request.contains("ModelName") || !request["ModelName"].is_string()) {
    return InvalidArgument("ModelName: missing or not a string");
  }
  TRY(Location(request, "TransformInput").status());
  TRY(Location(request, "TransformOutput").status());
  TRY_ASSIGN(int instances, IntField(request, "InstanceCount", 1, 1, 16));
  TRY_ASSIGN(int batch, IntField(request, "MaxRecordsPerBatch", 32, 1, 1000));
  if (request.contains("Configuration") && !request["Configuration"].is_object()) {
    return InvalidArgument("Configuration: must be an object (DeepAR's inference configuration)");
  }
  TRY_ASSIGN(auto existing, db_->Query("SELECT 1 FROM serving_transform_jobs WHERE name=?", {Value(name)}));
  if (!existing.empty()) return AlreadyExists("transform job '" + name + "' already exists");

  auto job = std::make_shared<Job>();
  job->doc = request;
  job->doc["InstanceCount"] = instances;
  job->doc["MaxRecordsPerBatch"] = batch;
  job->doc["TransformJobStatus"] = "InProgress";
  job->doc["CreationTime"] = FormatIso8601Millis(WallMillis());
  job->doc["ObjectsProcessed"] = 0;
  job->doc["RecordsProcessed"] = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return Unavailable("the server is stopping");
    if (running_.count(name)) return AlreadyExists("transform job '" + name + "' already exists");
    TRY(Save(*job));
    auto thread = StartThread("transform", [this, job] { Run(job); });
    if (!thread.ok()) {  // refused as SageMaker refuses a job past its limits: not created
      (void)db_->Exec("DELETE FROM serving_transform_jobs WHERE name=?", {Value(name)});
      return thread.status().WithContext("transform job '" + name + "' not created");
    }
    job->thread = std::move(thread).value();
    running_[name] = job;
  }
  return Status::Ok();
}

Status TransformJobs::TransformObject(Job& job, Fleet& fleet, objstore::ObjectStore& in,
                                      objstore::ObjectStore& out, const std::string& key) {
  TRY_ASSIGN(std::string data, in.Get(key));
  // Lines, remembering their 1-based numbers for error messages.
  std::vector<std::pair<size_t, std::string>> lines;
  size_t number = 0;
  for (size_t at = 0; at < data.size();) {
    size_t nl = data.find('\n', at);
    if (nl == std::string::npos) nl = data.size();
    ++number;
    std::string line = data.substr(at, nl - at);
    if (line.find_first_not_of(" \t\r") != std::string::npos) lines.emplace_back(number, std::move(line));
    at = nl + 1;
  }
  size_t per_batch = job.doc["MaxRecordsPerBatch"].get<size_t>();
  size_t batches = (lines.size() + per_batch - 1) / per_batch;
  std::vector<std::string> answers(batches);
  std::mutex mu;
  std::condition_variable cv;
  size_t in_flight = 0, next = 0, finished = 0;
  std::string failure;
  const size_t window = static_cast<size_t>(fleet.options().instances) * 2;
  json config = job.doc.value("Configuration", json());
  std::unique_lock<std::mutex> lock(mu);
  while (finished < batches) {
    while (next < batches && in_flight < window && failure.empty() && !job.cancel) {
      size_t b = next++;
      Invocation inv;
      inv.content_type = "application/jsonlines";
      inv.accept = "application/jsonlines";
      inv.inference_config = config;
      size_t first = b * per_batch, last = std::min(lines.size(), first + per_batch);
      for (size_t i = first; i < last; ++i) inv.body += lines[i].second + "\n";
      std::string where = key + " lines " + std::to_string(lines[first].first) + ".." +
                          std::to_string(lines[last - 1].first);
      ++in_flight;
      bool queued = fleet.Submit(std::move(inv), [&, b, where](InvocationResult r) {
        std::lock_guard<std::mutex> l(mu);
        if (r.status >= 300 && failure.empty()) {
          failure = where + ": the model answered " + std::to_string(r.status) + ": " +
                    (r.error.empty() ? r.body : r.error);
        }
        answers[b] = std::move(r.body);
        --in_flight;
        ++finished;
        cv.notify_all();
      });
      if (!queued) {
        --in_flight;
        --next;
        break;  // full: wait for an answer, then retry
      }
    }
    if (!failure.empty() || job.cancel) {
      cv.wait(lock, [&] { return in_flight == 0; });
      if (job.cancel) return Unavailable("stopped");
      return InvalidArgument(failure);
    }
    // Until another batch may go out, or everything came back, or something failed.
    cv.wait(lock, [&] {
      return (next < batches && in_flight < window) || finished == batches || !failure.empty() || job.cancel;
    });
  }
  if (job.cancel) return Unavailable("stopped");
  if (!failure.empty()) return InvalidArgument(failure);  // the last batches failed
  lock.unlock();
  std::string output;
  for (auto& a : answers) {
    output += a;
    if (!a.empty() && a.back() != '\n') output += '\n';
  }
  auto [out_bucket, out_prefix] = *Location(job.doc, "TransformOutput");
  auto [in_bucket, in_prefix] = *Location(job.doc, "TransformInput");
  objstore::PutOptions put;
  put.content_type = "application/jsonlines";
  TRY(out.Put(out_prefix + key.substr(in_prefix.size()) + ".out", output, put));
  std::lock_guard<std::mutex> l(mu_);
  job.doc["RecordsProcessed"] = job.doc["RecordsProcessed"].get<int64_t>() + static_cast<int64_t>(lines.size());
  job.doc["ObjectsProcessed"] = job.doc["ObjectsProcessed"].get<int64_t>() + 1;
  return Status::Ok();
}

void TransformJobs::Run(std::shared_ptr<Job> job) {
  std::string name = job->doc["TransformJobName"];
  auto log = Logger("serving");
  auto [in_bucket, in_prefix] = *Location(job->doc, "TransformInput");
  auto [out_bucket, out_prefix] = *Location(job->doc, "TransformOutput");
  auto work = [&]() -> Status {
    TRY_ASSIGN(auto in, lake_->Bucket(in_bucket));
    TRY_ASSIGN(auto out, lake_->Bucket(out_bucket));
    TRY_ASSIGN(auto listing, in->List(in_prefix));
    if (listing.objects.empty()) {
      return NotFound("no objects under " + in_bucket + "/" + in_prefix);
    }
    TRY_ASSIGN(auto fleet, endpoints_->StartModelFleet(job->doc["ModelName"], "transform/" + name,
                                                       job->doc["InstanceCount"].get<int>()));
    Status st;
    for (const auto& object : listing.objects) {
      if (in_bucket == out_bucket && object.key.rfind(out_prefix, 0) == 0 && !out_prefix.empty()) continue;
      st = TransformObject(*job, *fleet, *in, *out, object.key);
      if (!st.ok()) break;
    }
    fleet->Stop();
    return st;
  };
  Status st = work();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (job->cancel) {
      job->doc["TransformJobStatus"] = "Stopped";
    } else if (st.ok()) {
      job->doc["TransformJobStatus"] = "Completed";
    } else {
      job->doc["TransformJobStatus"] = "Failed";
      job->doc["FailureReason"] = st.message();
    }
    job->doc["TransformEndTime"] = FormatIso8601Millis(WallMillis());
  }
  if (Status saved = Save(*job); !saved.ok()) log->error("transform job '{}': {}", name, saved.ToString());
  log->info("transform job '{}' {}", name, job->doc["TransformJobStatus"].get<std::string>());
  std::lock_guard<std::mutex> lock(mu_);
  if (!stopping_) {
    job->thread.detach();
    running_.erase(name);
  }
}

Result<json> TransformJobs::Describe(const std::string& name) const {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = running_.find(name);
    if (it != running_.end()) return it->second->doc;
  }
  TRY_ASSIGN(auto rows, db_->Query("SELECT document FROM serving_transform_jobs WHERE name=?", {Value(name)}));
  if (rows.empty()) return NotFound("transform job '" + name + "' does not exist");
  return json::parse(rows[0].Text(0));
}

Result<json> TransformJobs::List() const {
  TRY_ASSIGN(auto rows, db_->Query("SELECT name FROM serving_transform_jobs ORDER BY name"));
  json out = json::array();
  for (const auto& row : rows) {
    TRY_ASSIGN(json doc, Describe(row.Text(0)));
    out.push_back({{"TransformJobName", doc["TransformJobName"]},
                   {"TransformJobStatus", doc["TransformJobStatus"]},
                   {"ModelName", doc["ModelName"]},
                   {"CreationTime", doc["CreationTime"]}});
  }
  return out;
}

Status TransformJobs::StopJob(const std::string& name) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = running_.find(name);
    if (it != running_.end()) {
      Job& job = *it->second;
      if (job.doc.value("TransformJobStatus", "") == "InProgress") {
        job.cancel = true;
        job.doc["TransformJobStatus"] = "Stopping";
      }
      return Status::Ok();
    }
  }
  TRY_ASSIGN(json doc, Describe(name));
  return FailedPrecondition("transform job '" + name + "' is " + doc.value("TransformJobStatus", "?") +
                            ", not in progress");
}

void TransformJobs::Stop() {
  std::map<std::string, std::shared_ptr<Job>> running;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    running = running_;
  }
  for (auto& [name, job] : running) job->cancel = true;
  for (auto& [name, job] : running) {
    if (job->thread.joinable()) job->thread.join();
  }
  std::lock_guard<std::mutex> lock(mu_);
  running_.clear();
}

}  // namespace tributary::serving
