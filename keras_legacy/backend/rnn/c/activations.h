/*@@ row @@*/
static inline void ${tag}_${nm}(const ${T}* s, ${T}* d, int len) {
  for (int k = 0; k < len; ++k) { ${T} x = s[k]; d[k] = ${expr}; }
}
/*@@ deriv @@*/
static inline ${T} d${tag}_${nm}(${T} y) { return ${expr}; }
/*@@ act tanh @@*/
${tanh}(x)
/*@@ act sigmoid @@*/
((${T})1 / ((${T})1 + ${exp}(-x)))
/*@@ act hard_sigmoid @@*/
(x * (${T})0.2 + (${T})0.5 < 0 ? (${T})0 : (x * (${T})0.2 + (${T})0.5 > 1 ? (${T})1 : x * (${T})0.2 + (${T})0.5))
/*@@ act linear @@*/
x
/*@@ dact tanh @@*/
((${T})1 - y * y)
/*@@ dact sigmoid @@*/
(y * ((${T})1 - y))
/*@@ dact hard_sigmoid @@*/
((y > 0 && y < 1) ? (${T})0.2 : (${T})0)
/*@@ dact linear @@*/
((${T})1)
