#include "server/ecr/background_hasher.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "server/util/crypto.h"

namespace berth::ecr {
namespace {

std::string TempFile() {
  return (std::filesystem::temp_directory_path() / ("berth-hasher-" + crypto::RandomHex(12)))
      .string();
}

TEST(BackgroundHasherTest, FollowsAGrowingFileToTheSameDigest) {
  // Given a file written in pieces while the hasher follows it
  const std::string path = TempFile();
  std::string content;
  crypto::Hasher head;
  const std::string first(3 << 20, 'a');
  head.Update(first);
  content += first;
  std::ofstream out(path, std::ios::binary);
  out << first << std::flush;
  BackgroundHasher hasher(path, std::move(head), first.size());
  for (int i = 0; i < 5; ++i) {
    const std::string piece((1 << 20) + static_cast<size_t>(i), static_cast<char>('b' + i));
    out << piece << std::flush;
    content += piece;
    hasher.Advance(content.size());
  }
  // When it finishes, then the digest is the whole file's
  EXPECT_EQ(hasher.Finish(), crypto::Sha256Hex(content));
  std::filesystem::remove(path);
}

TEST(BackgroundHasherTest, AMissingFileFailsInsteadOfGuessing) {
  BackgroundHasher hasher("/nonexistent/berth-upload", crypto::Hasher(), 0);
  hasher.Advance(10);
  EXPECT_FALSE(hasher.Finish().has_value());
}

TEST(BackgroundHasherTest, AbandonedHasherStopsCleanly) {
  const std::string path = TempFile();
  std::ofstream(path) << "abc";
  {
    BackgroundHasher hasher(path, crypto::Hasher(), 0);
    hasher.Advance(3);
  }  // destroyed without Finish(): the thread must stop and join
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace berth::ecr
