// QEMU fw_cfg, traditional I/O interface; see fw_cfg.h for the layout and sources.
#include "fw_cfg.h"

#include <stdexcept>

namespace sy::dev {

namespace {
void put_le(std::vector<u8>& v, u64 x, unsigned bytes) {
    for (unsigned i = 0; i < bytes; ++i) v.push_back(u8(x >> (8 * i)));
}
void put_be(std::vector<u8>& v, u64 x, unsigned bytes) {
    for (unsigned i = bytes; i-- > 0;) v.push_back(u8(x >> (8 * i)));
}
}  // namespace

FwCfg::FwCfg(u64 ram_size, u16 cpu_count) {
    items_[fwcfg::kSignature] = {'Q', 'E', 'M', 'U'};
    std::vector<u8> v;
    put_le(v, 1, 4);  // FW_CFG_VERSION: traditional interface only
    items_[fwcfg::kId] = v;
    items_[fwcfg::kUuid] = std::vector<u8>(16, 0);
    v.clear(), put_le(v, ram_size, 8), items_[fwcfg::kRamSize] = v;
    v.clear(), put_le(v, 1, 2), items_[fwcfg::kNoGraphic] = v;
    v.clear(), put_le(v, cpu_count, 2), items_[fwcfg::kNbCpus] = v;
    items_[fwcfg::kMaxCpus] = v;
    rebuild_file_dir();
}

u16 FwCfg::add_file(const std::string& name, std::vector<u8> data) {
    if (name.empty() || name.size() >= fwcfg::kMaxFilePath || files_.count(name))
        throw std::invalid_argument("fw_cfg: bad or duplicate file name '" + name + "'");
    u16 sel = next_file_++;
    files_[name] = sel;
    items_[sel] = std::move(data);
    rebuild_file_dir();
    return sel;
}

void FwCfg::rebuild_file_dir() {
    std::vector<u8> dir;
    put_be(dir, files_.size(), 4);
    for (const auto& [name, sel] : files_) {
        put_be(dir, items_[sel].size(), 4);
        put_be(dir, sel, 2);
        put_be(dir, 0, 2);
        std::string padded = name;
        padded.resize(fwcfg::kMaxFilePath, '\0');
        dir.insert(dir.end(), padded.begin(), padded.end());
    }
    items_[fwcfg::kFileDir] = std::move(dir);
}

u32 FwCfg::io_read(u16 port, unsigned size, u64) {
    if (port != kDataPort) return 0;  // the selector is write-only; QEMU reads 0
    auto it = items_.find(selector_ & fwcfg::kEntryMask);
    u8 byte = 0;
    if (it != items_.end() && offset_ < it->second.size()) byte = it->second[offset_];
    if (it != items_.end() && offset_ < it->second.size()) ++offset_;  // stays put past the end
    return byte;
}

void FwCfg::io_write(u16 port, unsigned size, u32 value, u64) {
    if (port != kSelectorPort) return;
    selector_ = u16(value);
    offset_ = 0;
}

}  // namespace sy::dev
