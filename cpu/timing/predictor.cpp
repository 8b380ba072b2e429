// Branch prediction (predictor.h).
#include "predictor.h"

#include <algorithm>

namespace sy::timing {

namespace {
// Mixes the address bits above the low ones into the index, so that branches
// 2^k bytes apart do not all share one counter.
inline u64 fold(u64 pc) { return pc ^ (pc >> 13) ^ (pc >> 27); }
}  // namespace

Predictor::Predictor(const CoreParams& p) : p_(p) { clear(); }

void Predictor::clear() {
    counters_.assign(size_t(1) << p_.gshare_bits, 1);  // weakly not taken
    history_ = 0;
    btb_.assign(p_.btb.entries, BtbEntry{});
    btb_clock_ = 0;
    indirect_.assign(size_t(1) << p_.indirect_bits, IndirectEntry{});
    rsb_.assign(p_.rsb_entries, 0);
    tos_ = 0;
    last_ret_ = {};
}

Predictor::BtbEntry* Predictor::btb_find(u64 pc) {
    const u32 sets = p_.btb.sets();
    BtbEntry* set = &btb_[(fold(pc) & (sets - 1)) * p_.btb.ways];
    for (u32 w = 0; w < p_.btb.ways; ++w)
        if (set[w].pc == pc) {
            set[w].stamp = ++btb_clock_;
            return &set[w];
        }
    return nullptr;
}

void Predictor::btb_update(u64 pc, u64 target) {
    if (BtbEntry* e = btb_find(pc)) {
        e->target = target;
        return;
    }
    const u32 sets = p_.btb.sets();
    BtbEntry* set = &btb_[(fold(pc) & (sets - 1)) * p_.btb.ways];
    BtbEntry* victim = set;
    for (u32 w = 0; w < p_.btb.ways; ++w) {
        if (set[w].pc == ~0ull) {
            victim = &set[w];
            break;
        }
        if (set[w].stamp < victim->stamp) victim = &set[w];
    }
    *victim = BtbEntry{pc, target, ++btb_clock_};
}

bool Predictor::direction(u64 pc) {
    const u64 mask = (u64(1) << p_.gshare_bits) - 1;
    const u64 hist = history_ & ((u64(1) << p_.history_bits) - 1);
    return counters_[(fold(pc) ^ (hist << (p_.gshare_bits - p_.history_bits))) & mask] >= 2;
}

void Predictor::train(u64 pc, bool taken) {
    const u64 mask = (u64(1) << p_.gshare_bits) - 1;
    const u64 hist = history_ & ((u64(1) << p_.history_bits) - 1);
    u8& c = counters_[(fold(pc) ^ (hist << (p_.gshare_bits - p_.history_bits))) & mask];
    if (taken && c < 3) ++c;
    if (!taken && c > 0) --c;
    history_ = (history_ << 1) | (taken ? 1 : 0);
}

// An indirect branch: the tagged table's target when it has one for this
// (address, history), the BTB's last target otherwise. A wrong BTB guess moves
// the branch into the tagged table.
Predictor::Verdict Predictor::indirect(u64 pc, u64 target) {
    const u64 mask = (u64(1) << p_.indirect_bits) - 1;
    IndirectEntry& ie = indirect_[(fold(pc) ^ (history_ * 0x9E3779B97F4A7C15ull >> 40)) & mask];
    BtbEntry* e = btb_find(pc);
    bool known = false;
    u64 guess = 0;
    if (ie.pc == pc) known = true, guess = ie.target;
    else if (e) known = true, guess = e->target;
    const bool right = known && guess == target;
    if (!right && e) ie = IndirectEntry{pc, target};
    btb_update(pc, target);
    return right ? Verdict::Correct : Verdict::Mispredict;
}

void Predictor::push_return(u64 addr) {
    tos_ = (tos_ + 1) & (p_.rsb_entries - 1);
    rsb_[tos_] = addr;
}

Predictor::Verdict Predictor::branch(Flow flow, u64 pc, u64 next, bool taken, u64 target) {
    switch (flow) {
        case Flow::Jcc: {
            // Unknown to the BTB, a branch is not seen: it is predicted not taken.
            BtbEntry* e = btb_find(pc);
            const bool predicted = e && direction(pc) && e->target == target;
            train(pc, taken);
            if (taken) btb_update(pc, target);
            return predicted == taken ? Verdict::Correct : Verdict::Mispredict;
        }
        case Flow::Jmp:
        case Flow::Call: {
            if (flow == Flow::Call) push_return(next);
            BtbEntry* e = btb_find(pc);
            const bool known = e && e->target == target;
            btb_update(pc, target);
            return known ? Verdict::Correct : Verdict::Resteer;
        }
        case Flow::JmpInd:
        case Flow::CallInd: {
            if (flow == Flow::CallInd) push_return(next);
            return indirect(pc, target);
        }
        case Flow::Ret: {
            last_ret_ = ReturnPrediction{pc, rsb_[tos_], target};
            tos_ = (tos_ - 1) & (p_.rsb_entries - 1);
            return last_ret_.correct() ? Verdict::Correct : Verdict::Mispredict;
        }
        case Flow::None:
        case Flow::Other: break;
    }
    return Verdict::Correct;
}

}  // namespace sy::timing
