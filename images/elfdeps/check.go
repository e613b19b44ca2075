package elfdeps

import (
	"debug/elf"
	"fmt"
	"io"
	"strings"
)

// machines maps GOARCH to the ELF machine of its executables.
var machines = map[string]elf.Machine{
	"amd64":   elf.EM_X86_64,
	"arm64":   elf.EM_AARCH64,
	"386":     elf.EM_386,
	"arm":     elf.EM_ARM,
	"riscv64": elf.EM_RISCV,
	"ppc64le": elf.EM_PPC64,
	"s390x":   elf.EM_S390,
}

// Check returns nil if path is a linux ELF executable for goarch; otherwise it
// says what is wrong, followed by hint (how to build a good one).
func Check(path, goarch, hint string) error {
	f, err := elf.Open(path)
	if err != nil {
		return fmt.Errorf("%s is not a linux executable (%v); %s", path, err, hint)
	}
	defer f.Close()
	if want, ok := machines[goarch]; ok && f.Machine != want {
		return fmt.Errorf("%s is built for %s, not linux/%s; %s with GOOS=linux GOARCH=%s",
			path, f.Machine, goarch, hint, goarch)
	}
	if f.OSABI != elf.ELFOSABI_NONE && f.OSABI != elf.ELFOSABI_LINUX {
		return fmt.Errorf("%s is built for %s, not linux; %s with GOOS=linux", path, f.OSABI, hint)
	}
	if f.Type != elf.ET_EXEC && f.Type != elf.ET_DYN {
		return fmt.Errorf("%s is not an executable (%s)", path, f.Type)
	}
	return nil
}

// Static returns nil if path is a statically linked linux ELF executable for
// goarch: no program interpreter and no shared libraries.
func Static(path, goarch, hint string) error {
	if err := Check(path, goarch, hint); err != nil {
		return err
	}
	f, err := elf.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			interp, _ := io.ReadAll(io.LimitReader(p.Open(), 256))
			return fmt.Errorf("%s is dynamically linked (interpreter %s) and cannot run in a FROM scratch image; %s",
				path, strings.TrimRight(string(interp), "\x00"), hint)
		}
	}
	if libs, err := f.ImportedLibraries(); err == nil && len(libs) > 0 {
		return fmt.Errorf("%s needs shared libraries (%s) and cannot run in a FROM scratch image; %s",
			path, strings.Join(libs, ", "), hint)
	}
	return nil
}
