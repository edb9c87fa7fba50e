// CompletionBatch: a thread that completes many operations at once (a stream's WAL writer
// calling every record's `done` after one group commit) hands the follow-up work to each
// destination (an I/O thread's event loop) in one post instead of one per operation. The
// other way round, a thread that starts many at once (a broker connection handling every
// PUBLISH of one read) lets each destination (a delivery stream) take them in one go:
// DeliveryStream::Put stages its record when IsOpen() and posts its own flush.
//
// With a batch open on the calling thread, Post(key, post, task) queues `task` under
// `key`, the destination; when the outermost batch closes, `post(key, run)` is called once
// per key, in the order the keys were first used, and `run` calls that key's tasks in the
// order they were queued. With no batch open, Post calls `post(key, task)` at once.
//
//   void Connection::OnVerdict(...) {   // may run inside the WAL writer's batch
//     CompletionBatch::Post(&context, &PostToContext, [self] { self->Drain(); });
//   }
//   {
//     CompletionBatch batch;
//     for (Pending& p : batch_) p.done(status);
//   }  // one post per event loop that any `done` posted to
//
// Each post takes the destination's lock and may wake its thread; with a hundred
// connections on two I/O threads a commit of many records made a hundred of them.
//
// Thread-safety: a batch belongs to the thread that opened it; Post may be called from any
// thread and only ever sees that thread's batch.
#pragma once

#include <vector>

#include "base/inline_function.h"

namespace tributary {

class CompletionBatch {
 public:
  using Task = InlineFunction<void()>;
  // Hands `run` to the destination `key`, e.g. boost::asio::post on an io_context.
  using PostFn = void (*)(void* key, Task run);

  CompletionBatch();
  ~CompletionBatch();  // the outermost batch posts what was queued
  CompletionBatch(const CompletionBatch&) = delete;
  CompletionBatch& operator=(const CompletionBatch&) = delete;

  static void Post(void* key, PostFn post, Task task);
  // A batch is open on the calling thread.
  static bool IsOpen();
};

}  // namespace tributary
