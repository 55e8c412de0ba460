#pragma once

// The base of the HTTP server's test applications: what they all answer to a
// body over its plan's limit (a bare 413 that closes the connection). Each
// test application adds its own Plan and Handle.

#include <cstdint>

#include "server/http/application.h"

namespace berth::http {

class TestApplication : public Application {
 public:
  Response BodyTooLarge(const Request& /*head*/, uint64_t /*limit*/) override {
    Response res;
    res.status = 413;
    res.close = true;
    return res;
  }
};

}  // namespace berth::http
