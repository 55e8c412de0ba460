#pragma once

// EXPECT_DOCKER_ERROR(statement, status, message): `statement` throws
// berth::docker::DockerError with exactly this HTTP status and message (the
// ASSERT_LEVELDB_OK of the Docker seam).

#include <string>

#include <gtest/gtest.h>

#include "docker_backend/docker_api.h"

#define EXPECT_DOCKER_ERROR(statement, status, message)                     \
  do {                                                                      \
    try {                                                                   \
      statement;                                                            \
      ADD_FAILURE() << #statement " did not throw";                         \
    } catch (const ::berth::docker::DockerError& docker_error) {            \
      EXPECT_EQ(docker_error.http_status(), status) << docker_error.what(); \
      EXPECT_EQ(std::string(docker_error.what()), message);                 \
    }                                                                       \
  } while (0)
