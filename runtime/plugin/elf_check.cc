#include "runtime/plugin/elf_check.h"

#include <elf.h>

#include <cstring>
#include <string>

#include "machi/plugin_api.h"

namespace machi {
namespace {

#if defined(__x86_64__)
constexpr Elf64_Half kMachine = EM_X86_64;
#elif defined(__aarch64__)
constexpr Elf64_Half kMachine = EM_AARCH64;
#else
#error "add this machine's ELF e_machine"
#endif

// [offset, offset + size) lies inside a file of `total` bytes (no overflow).
bool inside(uint64_t offset, uint64_t size, uint64_t total) {
  return offset <= total && size <= total - offset;
}

template <typename T>
T read_at(std::string_view bytes, uint64_t offset) {
  T value;
  std::memcpy(&value, bytes.data() + offset, sizeof(T));
  return value;
}

std::string bytes_text(uint64_t n) { return std::to_string(n) + " bytes"; }

}  // namespace

Status check_plugin_elf(std::string_view bytes) {
  const uint64_t total = bytes.size();
  if (total == 0) return Status::error("the file is empty");
  if (total < sizeof(Elf64_Ehdr) || std::memcmp(bytes.data(), ELFMAG, SELFMAG) != 0) {
    return Status::error("not an ELF shared library (no ELF header)");
  }
  const auto eh = read_at<Elf64_Ehdr>(bytes, 0);
  if (eh.e_ident[EI_CLASS] != ELFCLASS64) return Status::error("not a 64-bit ELF file");
  if (eh.e_ident[EI_DATA] != ELFDATA2LSB) return Status::error("not a little-endian ELF file");
  if (eh.e_type != ET_DYN) return Status::error("an ELF file, but not a shared library (ET_DYN)");
  if (eh.e_machine != kMachine) {
    return Status::error("a shared library for another machine (ELF machine " +
                         std::to_string(eh.e_machine) + ", this runtime's is " +
                         std::to_string(kMachine) + ")");
  }
  const std::string cut = " of the file's " + bytes_text(total) + ": the file is truncated or damaged";
  if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0) {
    return Status::error("malformed program header table");
  }
  if (!inside(eh.e_phoff, uint64_t{eh.e_phnum} * sizeof(Elf64_Phdr), total)) {
    return Status::error("the program headers end at " +
                         std::to_string(eh.e_phoff + uint64_t{eh.e_phnum} * sizeof(Elf64_Phdr)) + cut);
  }
  bool loadable = false;
  for (Elf64_Half i = 0; i < eh.e_phnum; ++i) {
    const auto ph = read_at<Elf64_Phdr>(bytes, eh.e_phoff + uint64_t{i} * sizeof(Elf64_Phdr));
    if (ph.p_type != PT_LOAD && ph.p_type != PT_DYNAMIC) continue;
    if (ph.p_type == PT_LOAD) loadable = true;
    if (ph.p_filesz > ph.p_memsz && ph.p_type == PT_LOAD) {
      return Status::error("segment " + std::to_string(i) + " has more file bytes than memory bytes");
    }
    if (!inside(ph.p_offset, ph.p_filesz, total)) {
      return Status::error("segment " + std::to_string(i) + " needs bytes up to " +
                           std::to_string(ph.p_offset + ph.p_filesz) + cut);
    }
  }
  if (!loadable) return Status::error("no loadable segment");
  if (eh.e_shnum == 0) return Status::error("no section headers: the exported symbols cannot be checked");
  if (eh.e_shentsize != sizeof(Elf64_Shdr)) return Status::error("malformed section header table");
  if (!inside(eh.e_shoff, uint64_t{eh.e_shnum} * sizeof(Elf64_Shdr), total)) {
    return Status::error("the section headers end at " +
                         std::to_string(eh.e_shoff + uint64_t{eh.e_shnum} * sizeof(Elf64_Shdr)) + cut);
  }
  auto section = [&](Elf64_Word i) { return read_at<Elf64_Shdr>(bytes, eh.e_shoff + uint64_t{i} * sizeof(Elf64_Shdr)); };
  bool exported = false;
  bool have_dynsym = false;
  for (Elf64_Half i = 0; i < eh.e_shnum; ++i) {
    const auto sh = section(i);
    if (sh.sh_type != SHT_NOBITS && sh.sh_type != SHT_NULL && !inside(sh.sh_offset, sh.sh_size, total)) {
      return Status::error("section " + std::to_string(i) + " needs bytes up to " +
                           std::to_string(sh.sh_offset + sh.sh_size) + cut);
    }
    if (sh.sh_type != SHT_DYNSYM) continue;
    have_dynsym = true;
    if (sh.sh_entsize != sizeof(Elf64_Sym) || sh.sh_link >= eh.e_shnum) {
      return Status::error("malformed dynamic symbol table");
    }
    const auto strtab = section(sh.sh_link);
    if (strtab.sh_type != SHT_STRTAB || !inside(strtab.sh_offset, strtab.sh_size, total)) {
      return Status::error("malformed dynamic string table");
    }
    std::string_view names = bytes.substr(strtab.sh_offset, strtab.sh_size);
    for (uint64_t k = 0; k < sh.sh_size / sizeof(Elf64_Sym); ++k) {
      const auto sym = read_at<Elf64_Sym>(bytes, sh.sh_offset + k * sizeof(Elf64_Sym));
      if (sym.st_name >= names.size()) return Status::error("a dynamic symbol's name is outside the string table");
      std::string_view name = names.substr(sym.st_name);
      name = name.substr(0, name.find('\0'));
      if (name != MACHI_NEGOTIATE_SYMBOL) continue;
      if (sym.st_shndx == SHN_UNDEF || ELF64_ST_TYPE(sym.st_info) != STT_FUNC ||
          ELF64_ST_BIND(sym.st_info) == STB_LOCAL) {
        return Status::error(MACHI_NEGOTIATE_SYMBOL " is not an exported function");
      }
      exported = true;
    }
  }
  if (!have_dynsym || !exported) {
    return Status::error("exports no " MACHI_NEGOTIATE_SYMBOL
                         " symbol: not a Machi plugin, or built without MACHI_PLUGIN");
  }
  return Status::ok();
}

}  // namespace machi
