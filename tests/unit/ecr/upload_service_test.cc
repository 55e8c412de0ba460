#include "server/ecr/upload_service.h"

#include <filesystem>

#include <gtest/gtest.h>

#include "server/ecr/digest.h"
#include "server/ecr/image_error.h"
#include "server/util/crypto.h"
#include "storage/ecr_store.h"
#include "storage/image_store.h"

namespace berth::ecr {
namespace {

class UploadServiceTest : public ::testing::Test {
 protected:
  UploadServiceTest() {
    auto lease = database_.Acquire();
    storage::RepositoryRecord repo;
    repo.name = "repo";
    repo.tag_mutability = "MUTABLE";
    repo.encryption_type = "AES256";
    repository_id_ =
        *storage::EcrStore(lease.db(), {"000000000000", "us-east-1"}).InsertRepository(repo);
  }
  ~UploadServiceTest() override { std::filesystem::remove_all(root_); }

  std::string root_ =
      (std::filesystem::temp_directory_path() / ("berth-uploads-" + crypto::RandomHex(12)))
          .string();
  storage::Database database_{":memory:"};
  storage::BlobStore blobs_{root_};
  ImageService images_{database_, blobs_};
  UploadService uploads_{database_, images_};
  int64_t repository_id_ = 0;
};

TEST_F(UploadServiceTest, LargeUploadHashedAlongsideIsVerifiedAndStored) {
  // Given an upload larger than the background-hashing threshold, in pieces
  const UploadSession session = uploads_.Start(repository_id_, 1.0);
  std::string content;
  {
    auto writer = uploads_.OpenWriter(session.uuid, repository_id_, 1.0);
    for (int i = 0; i < 20; ++i) {
      const std::string piece((1 << 20) + 7, static_cast<char>('a' + i));
      ASSERT_TRUE(writer->Write(piece));
      content += piece;
    }
  }
  // When it completes with the right digest, then the blob is stored
  const std::string digest = Sha256Digest(content);
  EXPECT_EQ(uploads_.Complete(session.uuid, repository_id_, digest, 2.0),
            static_cast<int64_t>(content.size()));
  EXPECT_EQ(blobs_.BlobSize(digest), content.size());
}

TEST_F(UploadServiceTest, LargeUploadWithTheWrongDigestStoresNothing) {
  const UploadSession session = uploads_.Start(repository_id_, 1.0);
  std::string content((12 << 20), 'x');
  {
    auto writer = uploads_.OpenWriter(session.uuid, repository_id_, 1.0);
    ASSERT_TRUE(writer->Write(content));
  }
  const std::string wrong = Sha256Digest("something else");
  EXPECT_THROW(uploads_.Complete(session.uuid, repository_id_, wrong, 2.0), ImageError);
  EXPECT_FALSE(blobs_.BlobSize(wrong).has_value());
  EXPECT_FALSE(blobs_.BlobSize(Sha256Digest(content)).has_value());
  EXPECT_FALSE(uploads_.Find(session.uuid, repository_id_).has_value());
}

TEST_F(UploadServiceTest, ResumedUploadAfterAWriterEndsKeepsTheRunningHash) {
  // Given a large upload written by two successive writers (chunked PATCHes)
  const UploadSession session = uploads_.Start(repository_id_, 1.0);
  const std::string a(9 << 20, 'a');
  const std::string b(3 << 20, 'b');
  {
    auto writer = uploads_.OpenWriter(session.uuid, repository_id_, 1.0);
    ASSERT_TRUE(writer->Write(a));
  }
  {
    auto writer = uploads_.OpenWriter(session.uuid, repository_id_, 1.0);
    ASSERT_TRUE(writer->Write(b));
  }
  EXPECT_NO_THROW(uploads_.Complete(session.uuid, repository_id_, Sha256Digest(a + b), 2.0));
}

}  // namespace
}  // namespace berth::ecr
