#include <gtest/gtest.h>

#include <cmath>

#include "core/half.h"
#include "gnnrt/tensor.h"

using namespace gnnrt;

TEST(Tensor, AllocatesZeroedAlignedStorage) {
  Tensor t(DType::Float32, {3, 4});
  EXPECT_EQ(t.numel(), 12);
  EXPECT_EQ(t.nbytes(), 48u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(t.raw()) % 64, 0u);
  for (int i = 0; i < 12; ++i) EXPECT_EQ(t.data<float>()[i], 0.0f);
}

TEST(Tensor, TypedAccessChecksDtype) {
  Tensor t(DType::Int64, {2});
  EXPECT_THROW(t.data<float>(), Error);
}

TEST(Tensor, NegativeDimensionIsInputError) {
  try {
    Tensor t(DType::Float32, {2, -1});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::InvalidInput);
    EXPECT_NE(std::string(e.what()).find("[2, -1]"), std::string::npos);
  }
}

TEST(Tensor, CastTruncatesFloatToIntAndMapsNonZeroToTrue) {
  Tensor t(DType::Float32, {3});
  t.data<float>()[0] = 2.7f;
  t.data<float>()[1] = -1.5f;
  t.data<float>()[2] = 0.0f;
  Tensor i = cast_tensor(t, DType::Int64);
  EXPECT_EQ(i.data<int64_t>()[0], 2);
  EXPECT_EQ(i.data<int64_t>()[1], -1);
  Tensor b = cast_tensor(t, DType::Bool);
  EXPECT_TRUE(b.data<bool>()[0]);
  EXPECT_FALSE(b.data<bool>()[2]);
}

TEST(Half, RoundTripsRepresentableValuesAndRoundsToNearestEven) {
  for (float v : {0.0f, 1.0f, -2.5f, 65504.0f, 6.1035156e-05f, 5.9604645e-08f})
    EXPECT_EQ(half_to_float(float_to_half(v)), v) << v;
  EXPECT_EQ(half_to_float(float_to_half(1.0f + 1.0f / 4096)), 1.0f);  // halfway, rounds to even
  EXPECT_TRUE(std::isinf(half_to_float(float_to_half(1e6f))));
  EXPECT_TRUE(std::isnan(half_to_float(float_to_half(NAN))));
  EXPECT_EQ(bfloat16_to_float(float_to_bfloat16(1.5f)), 1.5f);
}
