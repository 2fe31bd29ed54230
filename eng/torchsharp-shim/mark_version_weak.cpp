// Sets VER_FLG_WEAK on one version need of a 64-bit little-endian ELF shared library, in place.
//
// Usage: mark_version_weak LIBRARY VERSION
//
// The dynamic loader refuses to load a library whose version need names a version that the
// needed file does not define ("version `GLIBCXX_3.4.32' not found"), unless the need is weak:
// then it loads the library and resolves the symbols of that version from any loaded object.
// patchelf 0.14 has no option for this flag, so this tool edits the .gnu.version_r entries.
// Exit status: 0 when the flag is set (or already was), 1 when the version is not needed,
// 2 on a usage or file error.
#include <elf.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

int main(int argc, char** argv)
{
    if (argc != 3)
    {
        std::fprintf(stderr, "usage: %s LIBRARY VERSION\n", argv[0]);
        return 2;
    }

    const char* path = argv[1];
    const char* version = argv[2];
    int fd = open(path, O_RDWR);
    if (fd < 0)
    {
        std::perror(path);
        return 2;
    }

    struct stat info {};
    if (fstat(fd, &info) != 0 || static_cast<size_t>(info.st_size) < sizeof(Elf64_Ehdr))
    {
        std::fprintf(stderr, "%s: not an ELF file (too small or unreadable)\n", path);
        return 2;
    }

    size_t size = static_cast<size_t>(info.st_size);
    void* mapping = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (mapping == MAP_FAILED)
    {
        std::perror("mmap");
        return 2;
    }

    auto* bytes = static_cast<unsigned char*>(mapping);
    auto* header = reinterpret_cast<Elf64_Ehdr*>(bytes);
    if (std::memcmp(header->e_ident, ELFMAG, SELFMAG) != 0 || header->e_ident[EI_CLASS] != ELFCLASS64
        || header->e_ident[EI_DATA] != ELFDATA2LSB)
    {
        std::fprintf(stderr, "%s: expected a 64-bit little-endian ELF file\n", path);
        return 2;
    }

    if (header->e_shoff == 0 || header->e_shoff + static_cast<size_t>(header->e_shnum) * sizeof(Elf64_Shdr) > size)
    {
        std::fprintf(stderr, "%s: the section header table is missing or truncated\n", path);
        return 2;
    }

    auto* sections = reinterpret_cast<Elf64_Shdr*>(bytes + header->e_shoff);
    int result = 1;
    for (int s = 0; s < header->e_shnum; s++)
    {
        if (sections[s].sh_type != SHT_GNU_verneed)
        {
            continue;
        }

        // The version names are offsets into the string table that sh_link names.
        const Elf64_Shdr& strings = sections[sections[s].sh_link];
        const char* names = reinterpret_cast<const char*>(bytes + strings.sh_offset);
        size_t needOffset = sections[s].sh_offset;
        for (;;)
        {
            auto* need = reinterpret_cast<Elf64_Verneed*>(bytes + needOffset);
            size_t auxOffset = needOffset + need->vn_aux;
            for (int a = 0; a < need->vn_cnt; a++)
            {
                auto* aux = reinterpret_cast<Elf64_Vernaux*>(bytes + auxOffset);
                if (std::strcmp(names + aux->vna_name, version) == 0)
                {
                    aux->vna_flags |= VER_FLG_WEAK;
                    std::printf("%s: marked the need for %s from %s as weak\n", path, version, names + need->vn_file);
                    result = 0;
                }

                auxOffset += aux->vna_next;
            }

            if (need->vn_next == 0)
            {
                break;
            }

            needOffset += need->vn_next;
        }
    }

    if (result != 0)
    {
        std::fprintf(stderr, "%s: no version need named %s\n", path, version);
    }

    msync(mapping, size, MS_SYNC);
    munmap(mapping, size);
    close(fd);
    return result;
}
