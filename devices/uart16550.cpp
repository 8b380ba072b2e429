// 16550A UART; see uart16550.h for the datasheet sections and the deviations.
#include "uart16550.h"

namespace sy::dev {

namespace {
// LSR bits (8.4).
constexpr u8 kLsrDr = 0x01, kLsrOe = 0x02, kLsrThre = 0x20, kLsrTemt = 0x40;
constexpr u8 kLsrErrors = 0x1E;  // OE | PE | FE | BI: the receiver line status sources
// IER bits (8.7).
constexpr u8 kIerRda = 0x01, kIerThre = 0x02, kIerRls = 0x04, kIerMs = 0x08;
// MCR bits (8.8).
constexpr u8 kMcrDtr = 0x01, kMcrRts = 0x02, kMcrOut1 = 0x04, kMcrOut2 = 0x08, kMcrLoop = 0x10;
// MSR bits (8.9).
constexpr u8 kMsrCts = 0x10, kMsrDsr = 0x20, kMsrRi = 0x40, kMsrDcd = 0x80;
constexpr u8 kMsrDcts = 0x01, kMsrDdsr = 0x02, kMsrTeri = 0x04, kMsrDdcd = 0x08;
// IIR interrupt identification codes, bits 3:0 (Table IV).
constexpr unsigned kIidNone = 0x1, kIidRls = 0x6, kIidRda = 0x4, kIidTimeout = 0xC, kIidThre = 0x2, kIidMs = 0x0;
}  // namespace

Uart16550::Uart16550(u16 base, u64 cpu_hz, IrqLine irq, std::function<void(u8)> tx, bool gate_irq_with_out2)
    : base_(base), cpu_hz_(cpu_hz), irq_(irq), tx_(std::move(tx)), gate_out2_(gate_irq_with_out2) {
    msr_lines_ = modem_lines_now();
}

// One character on the wire: start bit, 5-8 data bits, optional parity, 1 or 2
// stop bits (8.1; 1.5 stop bits at 5 data bits is rounded up to 2), each bit 16
// baud-clock periods of divisor / 1.8432 MHz (8.3).
u64 Uart16550::char_time_cycles() const {
    unsigned bits = 1 + (5 + (lcr_ & 3)) + ((lcr_ >> 3) & 1) + ((lcr_ & 4) ? 2 : 1);
    u64 div = divisor() ? divisor() : 0x10000;
    return u64((u128(bits) * 16 * div * cpu_hz_ + kClockHz - 1) / kClockHz);
}

u8 Uart16550::modem_lines_now() const {
    if (!(mcr_ & kMcrLoop)) return ext_lines_;
    // Loopback (8.8): DTR -> DSR, RTS -> CTS, OUT1 -> RI, OUT2 -> DCD.
    u8 l = 0;
    if (mcr_ & kMcrRts) l |= kMsrCts;
    if (mcr_ & kMcrDtr) l |= kMsrDsr;
    if (mcr_ & kMcrOut1) l |= kMsrRi;
    if (mcr_ & kMcrOut2) l |= kMsrDcd;
    return l;
}

void Uart16550::set_modem_lines(u8 lines) {
    u8 changed = lines ^ msr_lines_;
    if (changed & kMsrCts) msr_deltas_ |= kMsrDcts;
    if (changed & kMsrDsr) msr_deltas_ |= kMsrDdsr;
    if (changed & kMsrDcd) msr_deltas_ |= kMsrDdcd;
    if ((msr_lines_ & kMsrRi) && !(lines & kMsrRi)) msr_deltas_ |= kMsrTeri;  // trailing edge of RI only
    msr_lines_ = lines;
}

void Uart16550::set_modem_inputs(bool cts, bool dsr, bool ri, bool dcd) {
    ext_lines_ = u8((cts ? kMsrCts : 0) | (dsr ? kMsrDsr : 0) | (ri ? kMsrRi : 0) | (dcd ? kMsrDcd : 0));
    set_modem_lines(modem_lines_now());
    update_irq();
}

bool Uart16550::can_receive() const {
    if (mcr_ & kMcrLoop) return false;  // loopback disconnects the receiver input (8.8)
    return rx_count_ < (fifo_on() ? rx_.size() : 1u);
}

void Uart16550::receive(u8 byte, u64 now) {
    advance(now);
    if (mcr_ & kMcrLoop) return;
    rx_push(byte, now);
    update_irq();
}

void Uart16550::rx_push(u8 byte, u64 now) {
    rx_activity_ = now;
    if (!fifo_on()) {
        // 16450 mode: a character arriving before RBR was read overwrites it (8.4 OE).
        if (rx_count_) lsr_errors_ |= kLsrOe;
        rx_[0] = byte, rx_head_ = 0, rx_count_ = 1;
        return;
    }
    if (rx_count_ == rx_.size()) {
        // FIFO mode: the FIFO keeps its contents, the new character is lost (8.4 OE).
        lsr_errors_ |= kLsrOe;
        return;
    }
    rx_[(rx_head_ + rx_count_) % rx_.size()] = byte;
    ++rx_count_;
}

u8 Uart16550::rx_pop(u64 now) {
    if (rx_count_) {
        last_rx_ = rx_[rx_head_];
        rx_head_ = (rx_head_ + 1) % rx_.size();
        --rx_count_;
    }
    // A read clears a pending timeout and restarts the timer (8.10).
    timeout_pending_ = false;
    rx_activity_ = now;
    return last_rx_;
}

void Uart16550::clear_rx() {
    rx_head_ = rx_count_ = 0;
    timeout_pending_ = false;
}

u8 Uart16550::lsr() const {
    // The transmitter is always empty: THRE and TEMT (see Deviations).
    return u8((rx_count_ ? kLsrDr : 0) | lsr_errors_ | kLsrThre | kLsrTemt);
}

unsigned Uart16550::interrupt_id() const {
    // Table IV, highest priority first.
    if ((ier_ & kIerRls) && (lsr_errors_ & kLsrErrors)) return kIidRls;
    if (ier_ & kIerRda) {
        if (rx_count_ && rx_count_ >= (fifo_on() ? trigger_ : 1u)) return kIidRda;
        if (timeout_pending_) return kIidTimeout;
    }
    if ((ier_ & kIerThre) && thr_ipending_) return kIidThre;
    if ((ier_ & kIerMs) && msr_deltas_) return kIidMs;
    return kIidNone;
}

u8 Uart16550::iir() const { return u8(interrupt_id() | (fifo_on() ? 0xC0 : 0)); }

void Uart16550::update_irq() {
    bool level = interrupt_id() != kIidNone;
    if (gate_out2_ && !(mcr_ & kMcrOut2)) level = false;
    if (level != irq_level_) {
        irq_level_ = level;
        irq_.set(level);
    }
}

u64 Uart16550::next_event() const {
    if (!fifo_on() || !rx_count_ || timeout_pending_) return kNever;
    return rx_activity_ + 4 * char_time_cycles();
}

void Uart16550::advance(u64 now) {
    if (now >= next_event()) {
        timeout_pending_ = true;
        update_irq();
    }
}

u32 Uart16550::io_read(u16 port, unsigned size, u64 now) {
    advance(now);
    bool dlab = lcr_ & 0x80;
    u8 v = 0;
    switch (port - base_) {
    case RBR:
        v = dlab ? dll_ : rx_pop(now);
        break;
    case IER:
        v = dlab ? dlm_ : ier_;
        break;
    case IIR:
        v = iir();
        // Reading IIR clears a THRE interrupt if it is the one reported (Table IV).
        if ((v & 0xF) == kIidThre) thr_ipending_ = false;
        break;
    case LCR: v = lcr_; break;
    case MCR: v = mcr_; break;
    case LSR:
        v = lsr();
        lsr_errors_ = 0;  // reading LSR clears OE/PE/FE/BI (8.4)
        break;
    case MSR:
        v = u8(msr_lines_ | msr_deltas_);
        msr_deltas_ = 0;  // reading MSR clears the delta bits (8.9)
        break;
    case SCR: v = scr_; break;
    }
    update_irq();
    return v;
}

void Uart16550::io_write(u16 port, unsigned size, u32 value, u64 now) {
    advance(now);
    u8 v = u8(value);
    bool dlab = lcr_ & 0x80;
    switch (port - base_) {
    case THR:
        if (dlab) {
            dll_ = v;
            break;
        }
        thr_ipending_ = false;  // writing THR clears the THRE interrupt
        update_irq();
        if (mcr_ & kMcrLoop)
            rx_push(v, now);  // transmitter output looped to the receiver (8.8)
        else if (tx_)
            tx_(v);
        thr_ipending_ = true;  // the byte left at once: THR is empty again
        break;
    case IER:
        if (dlab) {
            dlm_ = v;
            break;
        }
        // Enabling ETBEI while THR is empty raises THRE at once (Table IV / 8.7).
        if ((v & kIerThre) && !(ier_ & kIerThre)) thr_ipending_ = true;
        ier_ = v & 0x0F;
        break;
    case FCR: {
        bool enable = v & 1;
        if (enable != fifo_on()) clear_rx();  // changing FCR0 resets both FIFOs (8.5)
        if (!enable) {
            fcr_ = 0;  // the other bits are only programmed while FCR0 = 1
            break;
        }
        if (v & 0x02) clear_rx();
        static constexpr unsigned kTrigger[4] = {1, 4, 8, 14};
        trigger_ = kTrigger[v >> 6];
        fcr_ = v & 0xC9;  // keep enable, DMA mode and trigger; resets self-clear
        break;
    }
    case LCR: lcr_ = v; break;
    case MCR:
        mcr_ = v & 0x1F;
        set_modem_lines(modem_lines_now());
        break;
    case LSR:
    case MSR:
        break;  // factory test / read-only
    case SCR: scr_ = v; break;
    }
    update_irq();
}

}  // namespace sy::dev
