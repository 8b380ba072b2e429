// Branch prediction for the detailed model (sizes in params.h):
//
//   - direction: gshare, 2-bit counters indexed by the branch address XOR the
//     global history of conditional branch outcomes (history_bits of them);
//   - BTB: set-associative, LRU, tagged by branch address, holding the last
//     target. A branch the BTB does not know is not seen by the front end: a
//     conditional one is predicted not taken, a direct jump or call is found
//     by the decoder (resteer_penalty), an indirect one has no prediction;
//   - indirect targets: a tagged table indexed by address XOR history for
//     branches with more than one target, the BTB's last target otherwise;
//   - returns: a return stack buffer of rsb_entries, a circular buffer. A call
//     pushes its return address (overwriting the oldest entry when full), a
//     return pops the top and predicts it. Underflow wraps: the pointer goes
//     round and the return predicts whatever that entry last held, as the
//     Skylake RSB does (the reason Linux fills it on context switch).
//
// Every branch is predicted and then trained with its outcome as it retires;
// the model is in order, so nothing is predicted down a wrong path.
#pragma once
#include <vector>

#include "facts.h"
#include "params.h"

namespace sy::timing {

// What the RSB said about one return.
struct ReturnPrediction {
    u64 pc = 0;         // the return instruction
    u64 predicted = 0;  // the RSB's top when it retired
    u64 actual = 0;     // where it went
    bool correct() const { return predicted == actual; }
};

class Predictor {
public:
    explicit Predictor(const CoreParams& p);
    enum class Verdict : u8 { Correct, Resteer, Mispredict };
    // A branch at linear `pc` of kind `flow` went to `target` (taken) or fell
    // through to `next` (the address after it: also a call's return address).
    Verdict branch(Flow flow, u64 pc, u64 next, bool taken, u64 target);
    // The last return, for the switch accounting.
    const ReturnPrediction& last_return() const { return last_ret_; }
    void clear();

private:
    struct BtbEntry {
        u64 pc = ~0ull;
        u64 target = 0;
        u64 stamp = 0;
    };
    BtbEntry* btb_find(u64 pc);
    void btb_update(u64 pc, u64 target);
    bool direction(u64 pc);
    void train(u64 pc, bool taken);
    Verdict indirect(u64 pc, u64 target);
    void push_return(u64 addr);

    const CoreParams& p_;
    std::vector<u8> counters_;  // 2-bit saturating, 0-1 not taken, 2-3 taken
    u64 history_ = 0;
    std::vector<BtbEntry> btb_;
    u64 btb_clock_ = 0;
    struct IndirectEntry {
        u64 pc = ~0ull;
        u64 target = 0;
    };
    std::vector<IndirectEntry> indirect_;
    std::vector<u64> rsb_;
    u32 tos_ = 0;
    ReturnPrediction last_ret_;
};

}  // namespace sy::timing
