#include "server/util/crypto.h"

#include <vector>

#include <gtest/gtest.h>

namespace berth::crypto {
namespace {

TEST(CryptoTest, Sha256OfKnownInput) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(CryptoTest, Base64RoundTripsAndRejectsGarbage) {
  for (const std::string& s : std::vector<std::string>{"", "f", "fo", "foo", "foob", "fooba",
                                                       "foobar", std::string("\0\xff", 2)}) {
    EXPECT_EQ(Base64Decode(Base64Encode(s)), s);
    EXPECT_EQ(Base64UrlDecode(Base64UrlEncode(s)), s);
  }
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_FALSE(Base64Decode("Zm8").has_value());  // padding missing
  EXPECT_FALSE(Base64Decode("Zm9=vYmF").has_value());
  EXPECT_FALSE(Base64Decode("Zm8*").has_value());
  EXPECT_FALSE(Base64Decode("Zm9=").has_value());  // non-canonical trailing bits
}

TEST(CryptoTest, UuidHasTheVersion4Shape) {
  const std::string id = Uuid();
  ASSERT_EQ(id.size(), 36u);
  EXPECT_EQ(id[8], '-');
  EXPECT_EQ(id[14], '4');
  EXPECT_NE(Uuid(), id);
}

TEST(CryptoTest, HmacSha256MatchesRfc4231) {
  const std::string key(20, '\x0b');
  EXPECT_EQ(Hex(HmacSha256(key, "Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

}  // namespace
}  // namespace berth::crypto
