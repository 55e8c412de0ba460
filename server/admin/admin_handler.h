#pragma once

// Berth's own endpoints, beside the AWS APIs:
//   GET  /_berth/health  version, readiness and schema version
//   GET  /_berth/stats   what the storage's background WAL checkpointer did
//   POST /_berth/reset   wipe all state (for test suites)
//   GET  /_berth/tasks/<task id>   how a task runs locally: its containers,
//                        and every task definition field Berth cannot honour
//
// Thread-safety: Handle() may be called from any thread.

#include <functional>
#include <string>
#include <vector>

#include "server/http/message.h"
#include "storage/database.h"

namespace berth::admin {

class AdminHandler {
 public:
  explicit AdminHandler(storage::Database& database) : database_(database) {}

  // Extra work a reset must do beyond wiping the database (e.g. removing
  // blobs or containers). Register before serving.
  void AddResetHook(std::function<void()> hook) { reset_hooks_.push_back(std::move(hook)); }

  http::Response Handle(const http::Request& request);

 private:
  http::Response TaskView(std::string_view task_id);
  storage::Database& database_;
  std::vector<std::function<void()>> reset_hooks_;
};

}  // namespace berth::admin
