
static inline float kl_expf_${nm}(float x) {
  x = x < -87.0f ? -87.0f : (x > 88.0f ? 88.0f : x);
  /* floor(y) as a truncation of y + 128 > 0: floorf would block vectorisation
     (it may raise 'inexact'); k off by one near an integer only widens |r| a little. */
  float k = (float)((int)(x * 1.44269504088896341f + 128.5f) - 128);
  float r = x - k * 0.693359375f;
  r = r - k * -2.12194440e-4f;
  float p = 1.0f / 5040.0f;
  p = p * r + 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  union { int i; float f; } s;
  s.i = ((int)k + 127) << 23;
  return p * s.f;
}
static inline float kl_tanhf_${nm}(float x) {
  float a = x < 0 ? -x : x;
  float t = kl_expf_${nm}(-2.0f * a);
  float y = (1.0f - t) / (1.0f + t);
  return x < 0 ? -y : y;
}
