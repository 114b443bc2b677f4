// The PostgreSQL layer's error kinds (broker/store/pg/pg_error.hpp): which SQLSTATEs the broker
// retries, answers 409 or 503 for, and that a password never survives in a message.
#include "broker/store/pg/pg_error.hpp"

#include <gtest/gtest.h>

namespace jit::broker::pg {
namespace {

TEST(PgErrorKinds, SqlstatesMapToTheBrokersActions) {
  EXPECT_EQ(classify_sqlstate("40001"), Failure::retry);
  EXPECT_EQ(classify_sqlstate("40P01"), Failure::retry);
  EXPECT_EQ(classify_sqlstate("23505"), Failure::unique_violation);
  EXPECT_EQ(classify_sqlstate("23503"), Failure::other);  // a foreign key: our bug, not a duplicate
  EXPECT_EQ(classify_sqlstate("57014"), Failure::timeout);
  EXPECT_EQ(classify_sqlstate("55P03"), Failure::timeout);
  EXPECT_EQ(classify_sqlstate("08006"), Failure::connection);
  EXPECT_EQ(classify_sqlstate("28P01"), Failure::connection);
  EXPECT_EQ(classify_sqlstate("53300"), Failure::connection);
  EXPECT_EQ(classify_sqlstate("57P01"), Failure::connection);
  EXPECT_EQ(classify_sqlstate("25006"), Failure::connection);  // a standby after a failover
  EXPECT_EQ(classify_sqlstate("42P01"), Failure::other);
  EXPECT_EQ(classify_sqlstate(""), Failure::other);
}

TEST(PgErrorKinds, KindsMapToOneBrokerErrorEach) {
  EXPECT_EQ(Error(Failure::retry, "40001", "x").code(), BrokerErrc::unavailable);
  EXPECT_TRUE(Error(Failure::retry, "40001", "x").retryable());
  EXPECT_EQ(Error(Failure::connection, "", "x").code(), BrokerErrc::unavailable);
  EXPECT_FALSE(Error(Failure::connection, "", "x").retryable());
  EXPECT_EQ(Error(Failure::timeout, "57014", "x").code(), BrokerErrc::unavailable);
  EXPECT_EQ(Error(Failure::unique_violation, "23505", "x").code(), BrokerErrc::conflict);
  EXPECT_EQ(Error(Failure::bad_connection_string, "", "x").code(), BrokerErrc::invalid_input);
  EXPECT_EQ(Error(Failure::other, "42P01", "x").code(), BrokerErrc::internal);
}

TEST(PgErrorKinds, ScrubRemovesEveryCopyOfTheSecret) {
  EXPECT_EQ(scrub_secret("user=a password=s3cr3t and s3cr3t again", "s3cr3t"),
            "user=a password=*** and *** again");
  EXPECT_EQ(scrub_secret("nothing here", ""), "nothing here");
  // A secret that contains the replacement does not loop.
  EXPECT_EQ(scrub_secret("a***b", "*"), "a*********b");
}

}  // namespace
}  // namespace jit::broker::pg
