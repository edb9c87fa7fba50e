#include "base/completion_batch.h"

#include <utility>

namespace tributary {
namespace {

struct Destination {
  void* key;
  CompletionBatch::PostFn post;
  std::vector<CompletionBatch::Task> tasks;
};

struct OpenBatch {
  int depth = 0;
  std::vector<Destination> destinations;  // few: one per event loop
};

thread_local OpenBatch t_batch;

}  // namespace

CompletionBatch::CompletionBatch() { ++t_batch.depth; }

CompletionBatch::~CompletionBatch() {
  if (--t_batch.depth > 0) return;
  // Taken first: a task posted below may open a batch of its own on this thread.
  std::vector<Destination> destinations = std::move(t_batch.destinations);
  t_batch.destinations.clear();
  for (Destination& d : destinations) {
    if (d.tasks.size() == 1) {
      d.post(d.key, std::move(d.tasks.front()));
      continue;
    }
    d.post(d.key, [tasks = std::move(d.tasks)] {
      for (const Task& task : tasks) task();
    });
  }
}

bool CompletionBatch::IsOpen() { return t_batch.depth > 0; }

void CompletionBatch::Post(void* key, PostFn post, Task task) {
  if (t_batch.depth == 0) {
    post(key, std::move(task));
    return;
  }
  for (Destination& d : t_batch.destinations) {
    if (d.key == key) {
      d.tasks.push_back(std::move(task));
      return;
    }
  }
  t_batch.destinations.push_back({key, post, {}});
  t_batch.destinations.back().tasks.push_back(std::move(task));
}

}  // namespace tributary
