// 16550A UART, modelled on the National Semiconductor / TI PC16550D datasheet
// ("PC16550D Universal Asynchronous Receiver/Transmitter with FIFOs"):
//   Table II   register summary and addresses (DLAB selects DLL/DLM at +0/+1)
//   Table III  reset state (IER=0, IIR=0x01, LCR=MCR=0, LSR=0x60, MSR deltas 0)
//   Table IV   interrupt control functions: sources, priorities, how each is reset
//   8.1  LCR (word length, stop bits, parity, DLAB)     8.3  baud generator (DLL/DLM)
//   8.4  LSR (DR, OE, PE, FE, BI, THRE, TEMT, FIFO err)  8.5  FCR (enable, resets, trigger)
//   8.6  IIR (priority encoding, FIFO bits 7:6)         8.7  IER
//   8.8  MCR (DTR, RTS, OUT1, OUT2, LOOP; loopback wiring)
//   8.9  MSR (delta bits, TERI, line states)            8.10 FIFO interrupt mode,
//        including the character timeout indication     8.12 SCR
// PC wiring: COM1 at 0x3F8 on IRQ 4, COM2 at 0x2F8 on IRQ 3; clock 1.8432 MHz.
//
// The machine connects the transmitter to a byte sink (host stdout) and feeds the
// receiver with receive() (host stdin), asking can_receive() first so host input
// waits instead of overrunning the FIFO.
//
// Deviations:
//   * The transmitter is infinitely fast: a byte written to THR goes to the sink
//     (or, in loopback, to the receiver) at once, so THRE and TEMT read as 1 and
//     the THR-empty interrupt re-arms immediately after each write. There is no
//     transmit FIFO to fill, and no wire time.
//   * Received bytes arrive when the machine delivers them, not at the baud rate;
//     the baud rate only sets the character time used by the timeout (below).
//   * The character timeout (IIR 0x0C) is modelled: 4 character times, from the
//     current LCR and divisor, after the last byte received or read while the
//     FIFO holds data (8.10).
//   * No parity, framing or break conditions are ever received (a host byte is
//     always a good character); LCR break and parity settings are stored only.
//     So LSR bits 2-4 and 7 stay 0; OE is modelled.
//   * Like QEMU, the interrupt output is not gated by MCR OUT2 (real PC boards
//     gate IRQ through OUT2; xv6 never sets it and relies on QEMU's behaviour).
//     Pass gate_irq_with_out2 = true for the board behaviour.
//   * FCR DMA mode select (bit 3) is ignored; there is no DMA.
//   * The divisor latch resets to 12 (9600 baud); the datasheet leaves it undefined.
#pragma once
#include <array>
#include <functional>

#include "device.h"

namespace sy::dev {

class Uart16550 : public PortDevice, public Timed {
public:
    static constexpr u16 kCom1Base = 0x3F8;
    static constexpr unsigned kCom1Irq = 4;
    static constexpr unsigned kPorts = 8;
    static constexpr u64 kClockHz = 1843200;  // PC crystal; 115200 baud at divisor 1

    // Register offsets (Table II).
    enum : u16 { RBR = 0, THR = 0, DLL = 0, IER = 1, DLM = 1, IIR = 2, FCR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7 };

    Uart16550(u16 base, u64 cpu_hz, IrqLine irq, std::function<void(u8)> tx, bool gate_irq_with_out2 = false);

    // Host side of the serial line.
    bool can_receive() const;
    void receive(u8 byte, u64 now);
    // Modem input lines (active = true). Defaults: CTS, DSR, DCD asserted, RI not.
    void set_modem_inputs(bool cts, bool dsr, bool ri, bool dcd);

    u32 io_read(u16 port, unsigned size, u64 now) override;
    void io_write(u16 port, unsigned size, u32 value, u64 now) override;
    u64 next_event() const override;
    void advance(u64 now) override;

    // For the debugger and tests; no side effects.
    u8 peek_lsr() const { return lsr(); }
    u8 peek_iir() const { return iir(); }
    u64 char_time_cycles() const;
    u16 divisor() const { return u16(dll_ | (dlm_ << 8)); }

    // The state a snapshot saves (cpu/archive.h): every field that changes while
    // the machine runs; the configuration given to the constructor is not saved.
    void serialize(Archive& ar) {
        ar(rx_, rx_head_, rx_count_, last_rx_, ier_, lcr_, mcr_, scr_, fcr_, dll_, dlm_, lsr_errors_, msr_lines_,
           msr_deltas_, ext_lines_, trigger_, thr_ipending_, timeout_pending_, rx_activity_, irq_level_);
    }

private:
    bool fifo_on() const { return fcr_ & 1; }
    u8 lsr() const;
    u8 iir() const;
    unsigned interrupt_id() const;  // IIR bits 3:0
    void update_irq();
    void rx_push(u8 byte, u64 now);
    u8 rx_pop(u64 now);
    void clear_rx();
    void set_modem_lines(u8 lines);  // MSR bits 7:4 layout, computes deltas
    u8 modem_lines_now() const;

    u16 base_;
    u64 cpu_hz_;
    IrqLine irq_;
    std::function<void(u8)> tx_;
    bool gate_out2_;

    std::array<u8, 16> rx_{};
    unsigned rx_head_ = 0, rx_count_ = 0;
    u8 last_rx_ = 0;
    u8 ier_ = 0, lcr_ = 0, mcr_ = 0, scr_ = 0, fcr_ = 0;
    u8 dll_ = 12, dlm_ = 0;
    u8 lsr_errors_ = 0;        // OE (bit 1); PE/FE/BI never occur
    u8 msr_lines_ = 0;         // bits 7:4 as last seen
    u8 msr_deltas_ = 0;        // bits 3:0
    u8 ext_lines_ = 0xB0;      // DCD, DSR, CTS asserted by the host side
    unsigned trigger_ = 1;     // RX FIFO trigger level
    bool thr_ipending_ = false;
    bool timeout_pending_ = false;
    u64 rx_activity_ = 0;      // cycle of the last byte received or read
    bool irq_level_ = false;
};

}  // namespace sy::dev
