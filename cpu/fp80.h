// The x87 FPU's arithmetic, in software: double extended-precision values
// (SDM Vol. 1, 4.2.2 and 8.2), the special values and the formats the FPU does
// not support (4.8, 8.2.2), rounding under the precision and rounding controls
// (4.8.4, 8.1.5.2-3), the exception conditions and their masked responses
// (4.9, 8.5), and the conversions to and from the memory formats (8.3.3-8.3.5).
//
// Nothing here touches the processor: an operation takes values and the control
// word's fields and returns a value with the exceptions it raised. What the x87
// does with an unmasked exception (keep the destination, raise #MF later) is
// ops_x87.cpp's business; only the results that differ with OE or UE unmasked
// (an exponent biased by 24576 on register destinations, SDM Vol. 1, 8.5.4-8.5.5)
// are produced here.
//
// Where the manuals leave a choice open, the choice is the Intel host's, found
// with the isa-test (docs/cpu.md lists them): tininess is detected after
// rounding; of two NaNs of the same kind the larger significand wins and on a
// tie the positive one; precision control 01b (reserved) rounds to 64 bits; a
// partial FPREM/FPREM1 reduces the exponent difference by N = 32 + (D mod 32).
#pragma once
#include "state.h"

namespace sy::fp80 {

// Exception flags: status-word bits 5:0, and the mask bits of the control word.
namespace ex {
constexpr u8 IE = 1, DE = 2, ZE = 4, OE = 8, UE = 16, PE = 32;
constexpr u8 PRE_COMPUTATION = IE | DE | ZE;  // an unmasked one leaves the destination alone
}  // namespace ex

enum class Kind : u8 {
    Zero,
    Denormal,     // exponent 0 with a nonzero significand, pseudo-denormals included
    Normal,
    Inf,
    QNaN,
    SNaN,
    Unsupported,  // unnormals, pseudo-NaNs, pseudo-infinities (SDM Vol. 1, 8.2.2): #IA
};
Kind classify(const F80& a);
inline bool is_nan(Kind k) { return k == Kind::QNaN || k == Kind::SNaN; }

inline constexpr F80 kIndefinite{0xC000000000000000ull, 0xFFFF};  // the QNaN floating-point indefinite
inline constexpr u64 kQuietBit = 1ull << 62;

// The control word as an operation sees it.
struct Ctl {
    u8 rc = 0;       // rounding control: 0 nearest, 1 down, 2 up, 3 toward zero
    u8 prec = 64;    // significand bits of results: 24, 53 or 64
    u8 masks = 0x3F; // exception masks, bits as in ex::
};
// `precision_control`: whether the instruction obeys PC (FADD, FSUB, FMUL, FDIV
// and FSQRT in their forms, SDM Vol. 1, 8.1.5.2); everything else rounds to 64.
inline Ctl control(u16 fcw, bool precision_control) {
    Ctl c;
    c.rc = (fcw >> 10) & 3;
    c.masks = fcw & 0x3F;
    if (precision_control) {
        static constexpr u8 kPrec[4] = {24, 64, 53, 64};  // 01b is reserved: the Intel host rounds to 64 bits
        c.prec = kPrec[(fcw >> 8) & 3];
    }
    return c;
}

// What an operation reports besides its value.
struct Status {
    u8 flags = 0;     // exceptions raised (ex::)
    bool c1 = false;  // the significand was rounded up (away from zero)
};

// `from_denormal`: which operands came from a single- or double-precision
// denormal in memory (normal once converted), so that DE is raised for them
// where it would be for a denormal register, after the NaN checks (SDM Vol. 1,
// 4.9.2: a QNaN operand takes precedence over DE). Bit 0: a, bit 1: b.
inline constexpr u8 kDenormalA = 1, kDenormalB = 2;
F80 add(const F80& a, const F80& b, const Ctl&, Status&, u8 from_denormal = 0);
F80 sub(const F80& a, const F80& b, const Ctl&, Status&, u8 from_denormal = 0);  // a - b
F80 mul(const F80& a, const F80& b, const Ctl&, Status&, u8 from_denormal = 0);
F80 div(const F80& a, const F80& b, const Ctl&, Status&, u8 from_denormal = 0);  // a / b
F80 sqrt(const F80& a, const Ctl&, Status&);
F80 round_to_integer(const F80& a, const Ctl&, Status&);   // FRNDINT
F80 scale(const F80& a, const F80& b, const Ctl&, Status&);  // FSCALE: a * 2^trunc(b)

// FPREM (nearest = false, quotient truncated) and FPREM1 (nearest = true,
// IEEE remainder). `complete` false: a partial remainder (C2 = 1).
struct Remainder {
    F80 r;
    bool complete = true;
    bool quotient = false;  // a quotient was computed (not for invalid or NaN operands)
    u8 q = 0;               // its three low bits (C0 C3 C1)
};
Remainder remainder(const F80& a, const F80& b, bool nearest, const Ctl&, Status&);

// FXTRACT: a = significand * 2^exponent.
struct Extracted {
    F80 exponent, significand;
};
Extracted extract(const F80& a, Status&);

enum class Order : u8 { Greater, Less, Equal, Unordered };
// `quiet`: FUCOM and friends, which raise IE only for SNaNs; FCOM raises it for any NaN.
Order compare(const F80& a, const F80& b, bool quiet, Status&, u8 from_denormal = 0);

// ---- conversions ----
// A denormal raises DE here; an SNaN raises IE and becomes a QNaN.
F80 from_f32(u32 bits, Status&);
F80 from_f64(u64 bits, Status&);
// The same for an arithmetic operand: exact, an SNaN stays an SNaN (the
// operation decides between NaNs and raises IE), and `denormal` reports what
// the operation must count as a denormal operand.
F80 widen_f32(u32 bits, bool& denormal);
F80 widen_f64(u64 bits, bool& denormal);
F80 from_int(i64 v);
// Packed BCD (SDM Vol. 1, 4.7): 18 digits in bytes 0-8, the sign in bit 7 of byte 9.
F80 from_bcd(const u8 bcd[10]);
u32 to_f32(const F80& a, const Ctl&, Status&);
u64 to_f64(const F80& a, const Ctl&, Status&);
// To a signed integer of `bits` (16, 32 or 64), rounded by RC or truncated
// (FISTTP). A NaN, an infinity or an out-of-range value raises IE and gives
// the integer indefinite (the most negative value).
u64 to_int(const F80& a, unsigned bits, bool truncate, const Ctl&, Status&);
// FBSTP: rounded by RC; out of range (18 digits) raises IE and gives the BCD indefinite.
void to_bcd(const F80& a, u8 out[10], const Ctl&, Status&);

// The constants of FLD1, FLDL2T, FLDL2E, FLDPI, FLDLG2, FLDLN2, FLDZ, rounded
// from a 128-bit value by the rounding control (SDM Vol. 1, 8.3.8).
enum class Constant : u8 { One, L2T, L2E, Pi, Lg2, Ln2, Zero };
F80 constant(Constant k, u8 rc);

}  // namespace sy::fp80
