package images

// The recipes: how each role's image is made from what a machine without a
// registry can reach (Debian's archive, the Go module proxy, the firedrill
// binary), and the hash of each recipe's inputs that names the result.

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"debug/buildinfo"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/moby/moby/api/types/build"
	"github.com/moby/moby/client"

	"github.com/firedrill/firedrill/images/elfdeps"
	"github.com/firedrill/firedrill/images/internal/buildlog"
	"github.com/firedrill/firedrill/images/internal/recipe"
	"github.com/firedrill/firedrill/images/rootfs"
)

//go:embed recipes
var imgRecipeFS embed.FS

const (
	// imgRecipeFormat is part of every recipe hash: bump it when the way images
	// are assembled changes (this file, the rootfs filter) so they are rebuilt.
	imgRecipeFormat = "1"
	// imgDebianSuite is the Debian release of the debootstrap recipes.
	imgDebianSuite = "bookworm"
	// imgMinIOModule and imgMinIOVersion pin MinIO: the last published module
	// version, whose go.mod has no replace directives, so `go install` works.
	imgMinIOModule  = "github.com/minio/minio"
	imgMinIOVersion = "v0.0.0-20260212201848-7aac2a2c5b7c"
)

// imgRecipe is one role's recipe with its inputs resolved and hashed.
type imgRecipe struct {
	role    Role
	version string // the tag's version part: 15, bookworm, 20260212, dev
	hash    string // hex sha256 of every input
	tag     string // firedrill/<role>:<version>-<hash12>
	about   string // for the progress line: what the build does and how long it takes

	// Debootstrap recipes: the root filesystem imported as baseTag, named
	// baseName (the role's, or that of a base several roles share).
	packages []string
	mirror   string
	baseName string
	baseHash string
	baseTag  string

	// files are the build context (the Dockerfile and what it copies).
	files []recipe.ContextFile

	// minioBinary is where the MinIO recipe caches its binary.
	minioBinary string
	// binarySum is the app binary's sha256 when the hash was taken.
	binarySum string
}

// imgRecipeHash hashes a recipe's inputs under imgRecipeFormat.
func imgRecipeHash(inputs ...recipe.Input) string {
	return recipe.Hash(imgRecipeFormat, inputs...)
}

func imgEmbedded(name string) ([]byte, error) {
	return imgRecipeFS.ReadFile(path.Join("recipes", name))
}

// recipe returns role's recipe, computing its hash once per Images.
func (im *Images) recipe(role Role) (*imgRecipe, error) {
	im.mu.Lock()
	defer im.mu.Unlock()
	if r, ok := im.recipes[role]; ok {
		return r, nil
	}
	var r *imgRecipe
	var err error
	deb, isDebootstrap := imgDebootstrapRecipes[role]
	switch {
	case isDebootstrap:
		r, err = im.debootstrapRecipe(role, deb)
	case role == RoleMinIO:
		r, err = imgMinIORecipe(im.cacheDir)
	case role == RoleApp:
		r, err = imgAppRecipe(im.appBinary)
	default:
		err = fmt.Errorf("unknown role %q", role)
	}
	if err != nil {
		return nil, err
	}
	im.recipes[role] = r
	return r, nil
}

// debootstrapRecipe: a Debian root filesystem with packages, imported as a base
// image, then a Dockerfile (and the files it copies) on top. The base has its own
// hash so that editing the Dockerfile or the entrypoint does not re-run
// debootstrap; roles that name the same base share it.
func (im *Images) debootstrapRecipe(role Role, d imgDebootstrap) (*imgRecipe, error) {
	mirror := im.mirror
	if mirror == "" {
		mirror = rootfs.DebianMirror("/", imgDebianSuite)
	}
	baseName := cmp.Or(d.base, string(role))
	r := &imgRecipe{role: role, version: d.version, about: d.about, packages: d.packages, mirror: mirror, baseName: baseName}
	r.baseHash = imgRecipeHash(
		recipe.Input{Name: "kind", Value: "debootstrap-base"},
		recipe.Input{Name: "role", Value: baseName},
		recipe.Input{Name: "suite", Value: imgDebianSuite},
		recipe.Input{Name: "variant", Value: "minbase"},
		recipe.Input{Name: "mirror", Value: mirror},
		recipe.Input{Name: "arch", Value: runtime.GOARCH},
		recipe.Input{Name: "packages", Value: strings.Join(d.packages, ",")},
		recipe.Input{Name: "rootfs-filter", Value: rootfs.FilterVersion},
	)
	r.baseTag = recipe.BaseTag(baseName, r.baseHash)
	var dockerfile []byte
	for _, name := range d.dockerfile {
		data, err := imgEmbedded(name)
		if err != nil {
			return nil, err
		}
		dockerfile = append(dockerfile, data...)
	}
	inputs := []recipe.Input{{Name: "role", Value: string(role)}, {Name: "base", Value: r.baseHash}, {Name: "file Dockerfile", Value: string(dockerfile)}}
	r.files = []recipe.ContextFile{{Name: "Dockerfile", Mode: 0o644, Data: dockerfile}}
	for _, name := range d.files {
		data, err := imgEmbedded(name)
		if err != nil {
			return nil, err
		}
		inputs = append(inputs, recipe.Input{Name: "file " + path.Base(name), Value: string(data)})
		r.files = append(r.files, recipe.ContextFile{Name: path.Base(name), Mode: 0o755, Data: data})
	}
	r.hash = imgRecipeHash(inputs...)
	r.tag = recipe.Tag(string(role), d.version, r.hash)
	return r, nil
}

// How the MinIO binary is built: part of the recipe hash and of the cached
// binary's directory, so that a change rebuilds it. -trimpath and
// -buildvcs=false make the binary depend only on the module version and the
// toolchain; -s -w leave out the symbol table and DWARF, which no container
// uses and whose generation is a good part of linking a 100 MB binary (see
// docs/benchmarks.md). GOFLAGS replaces the user's: -mod=vendor and the like
// would break the install.
const (
	imgMinIOGoFlags = "-trimpath -buildvcs=false"
	imgMinIOLDFlags = "-s -w"
)

func imgMinIOBuildID() string {
	return "CGO_ENABLED=0 GOFLAGS=" + imgMinIOGoFlags + " -ldflags=" + imgMinIOLDFlags + " linux/" + runtime.GOARCH
}

func imgMinIORecipe(cacheDir string) (*imgRecipe, error) {
	dockerfile, err := imgEmbedded("minio/Dockerfile")
	if err != nil {
		return nil, err
	}
	r := &imgRecipe{
		role:        RoleMinIO,
		version:     recipe.PseudoVersionDate(imgMinIOVersion),
		about:       "go install " + imgMinIOModule + "@" + imgMinIOVersion + ", usually 3-6 min the first time",
		minioBinary: imgMinIOBinaryPath(cacheDir),
	}
	// The module version and the build flags pin the binary: its hash is not
	// needed.
	r.hash = imgRecipeHash(
		recipe.Input{Name: "role", Value: string(RoleMinIO)},
		recipe.Input{Name: "module", Value: imgMinIOModule + "@" + imgMinIOVersion},
		recipe.Input{Name: "build", Value: imgMinIOBuildID()},
		recipe.Input{Name: "file Dockerfile", Value: string(dockerfile)},
	)
	r.tag = recipe.Tag(string(RoleMinIO), r.version, r.hash)
	r.files = []recipe.ContextFile{
		{Name: "Dockerfile", Mode: 0o644, Data: dockerfile},
		{Name: "rootfs/usr/bin/minio", Mode: 0o755, Src: r.minioBinary},
		{Name: "rootfs/data", Mode: 0o755, Dir: true},
		{Name: "rootfs/tmp", Mode: 0o1777, Dir: true},
	}
	return r, nil
}

// imgMinIOBinaryPath is the cached binary, keyed by version and build flags.
func imgMinIOBinaryPath(cacheDir string) string {
	flags := sha256.Sum256([]byte(imgMinIOBuildID()))
	return filepath.Join(cacheDir, "minio-"+imgMinIOVersion+"-"+hex.EncodeToString(flags[:4]), "minio")
}

func imgAppRecipe(binary string) (*imgRecipe, error) {
	if binary == "" {
		return nil, errors.New("no firedrill binary for the app image (WithAppBinary)")
	}
	if err := elfdeps.Check(binary, runtime.GOARCH, imgAppHint); err != nil {
		return nil, err
	}
	deps, err := elfdeps.Resolve(binary, elfdeps.SearchDirs("/", runtime.GOARCH))
	if err != nil {
		return nil, fmt.Errorf("app image: the shared libraries of %s: %w", binary, err)
	}
	sum, err := recipe.FileSHA256(binary)
	if err != nil {
		return nil, err
	}
	dockerfile, err := imgEmbedded("app/Dockerfile")
	if err != nil {
		return nil, err
	}
	r := &imgRecipe{
		role:      RoleApp,
		version:   imgAppVersion(binary),
		about:     "the firedrill binary FROM scratch, seconds",
		binarySum: sum,
	}
	inputs := []recipe.Input{{Name: "role", Value: string(RoleApp)}, {Name: "binary sha256", Value: sum}}
	files := []recipe.ContextFile{{Name: "rootfs/firedrill", Mode: 0o755, Src: binary}}
	if libs := deps.Files(); len(libs) > 0 {
		r.about = fmt.Sprintf("the dynamically linked firedrill binary with %d shared libraries FROM scratch, seconds", len(libs))
		// The loader has no ld.so.cache in the image.
		dockerfile = fmt.Appendf(slices.Clone(dockerfile), "ENV LD_LIBRARY_PATH=%s\n", strings.Join(deps.LibDirs(), ":"))
		for _, lib := range libs {
			// os.Open follows the symlinks (libc.so.6 -> libc-2.36.so, /lib64 ->
			// usr/lib64): the image holds the content at the path the loader asks for.
			libSum, err := recipe.FileSHA256(lib)
			if err != nil {
				return nil, err
			}
			inputs = append(inputs, recipe.Input{Name: "lib " + lib, Value: libSum})
			files = append(files, recipe.ContextFile{Name: "rootfs" + lib, Mode: 0o755, Src: lib})
		}
	}
	inputs = append(inputs, recipe.Input{Name: "file Dockerfile", Value: string(dockerfile)})
	r.hash = imgRecipeHash(inputs...)
	r.tag = recipe.Tag(string(RoleApp), r.version, r.hash)
	r.files = append([]recipe.ContextFile{{Name: "Dockerfile", Mode: 0o644, Data: dockerfile}}, files...)
	r.files = append(r.files, recipe.ContextFile{Name: "rootfs/tmp", Mode: 0o1777, Dir: true})
	return r, nil
}

// imgAppVersion is the binary's module version when it has a real one (a
// release), else "dev"; the hash tells builds apart anyway.
func imgAppVersion(binary string) string {
	info, err := buildinfo.ReadFile(binary)
	if err != nil || info.Main.Version == "" || info.Main.Version == "(devel)" {
		return "dev"
	}
	v := info.Main.Version
	if strings.Contains(v, "-0.") || strings.HasPrefix(v, "v0.0.0-") || strings.Contains(v, "+") {
		return "dev" // a pseudo-version or a dirty tree: not a name worth showing
	}
	return recipe.TagSafe(v)
}

// StaticBinary returns nil if path is a statically linked linux ELF executable for
// the architecture firedrill runs on (amd64 here), which a FROM scratch image can
// run: no program interpreter (PT_INTERP) and no shared libraries. Otherwise it
// says what is wrong and how to build one.
func StaticBinary(path string) error {
	return elfdeps.Static(path, runtime.GOARCH, imgStaticHint)
}

const (
	imgStaticHint = "build it with CGO_ENABLED=0 (e.g. `make build`, or `CGO_ENABLED=0 go build ./cmd/firedrill`)"
	imgAppHint    = "build it for this machine (e.g. `make build`, or `go build ./cmd/firedrill`)"
)

// ---- debootstrap recipes (postgres, nettools, the HA images) ----

func (im *Images) buildDebootstrapRecipe(ctx context.Context, r *imgRecipe, tmp string, force bool) error {
	if err := im.debootstrapBaseOnce(ctx, r, tmp, force); err != nil {
		return err
	}
	base := r.baseTag
	return im.dockerBuild(ctx, r, r.files, map[string]*string{"BASE": &base}, force)
}

// debootstrapBaseOnce makes r's base image unless it exists, under a lock of
// its own: the roles sharing a base build at once, and the first to take the
// lock makes it for all. A forced build remakes it once per Images, not once
// per role.
func (im *Images) debootstrapBaseOnce(ctx context.Context, r *imgRecipe, tmp string, force bool) error {
	unlock, err := im.lock(ctx, "base-"+r.baseName, "another build of "+r.baseTag)
	if err != nil {
		return err
	}
	defer unlock()
	_, found, err := im.inspect(ctx, r.baseTag)
	if err != nil {
		return err
	}
	im.mu.Lock()
	madeHere := im.basesMade[r.baseTag]
	im.mu.Unlock()
	if found && (!force || madeHere) {
		im.progressf(ctx, "  reusing base image %s", r.baseTag)
		return nil
	}
	if err := im.debootstrapBase(ctx, r, tmp); err != nil {
		return err
	}
	im.mu.Lock()
	im.basesMade[r.baseTag] = true
	im.mu.Unlock()
	return nil
}

// debootstrapBase makes the Debian root filesystem and imports it as r.baseTag.
func (im *Images) debootstrapBase(ctx context.Context, r *imgRecipe, tmp string) error {
	if err := im.require(r.role); err != nil {
		return err
	}
	bin := im.host.Find(needDebootstrap)
	rootDir := filepath.Join(tmp, "rootfs")
	args := []string{"--variant=minbase", "--include=" + strings.Join(r.packages, ",")}
	debs := filepath.Join(im.cacheDir, "debs")
	if imgDebootstrapHasCacheDir(ctx, bin) {
		if err := os.MkdirAll(debs, 0o755); err != nil {
			return err
		}
		// The debootstrap recipes share downloaded packages.
		args = append(args, "--cache-dir="+debs)
	}
	args = append(args, imgDebianSuite, rootDir, r.mirror)

	// debootstrap writes into the shared .deb cache without locking: one at a time.
	unlock, err := im.lock(ctx, "debootstrap", "another debootstrap")
	if err != nil {
		return err
	}
	cmdline := imgLowPriority(bin, args)
	err = im.step(ctx, "debootstrap", func() error {
		return im.run(ctx, "debootstrap", tmp, nil, cmdline[0], cmdline[1:]...)
	})
	unlock()
	if err != nil {
		return err
	}
	// debootstrap unmounts what it mounted in the target; make sure, because the
	// tar below must not descend into the host's /proc, /sys or /dev.
	if err := rootfs.UnmountUnder(rootDir); err != nil {
		return err
	}
	return im.step(ctx, "import root filesystem", func() error {
		return im.importRootfs(ctx, r, rootDir)
	})
}

func imgDebootstrapHasCacheDir(ctx context.Context, bin string) bool {
	out, _ := exec.CommandContext(ctx, bin, "--help").CombinedOutput()
	return bytes.Contains(out, []byte("--cache-dir"))
}

// importRootfs streams rootDir as a tar to the daemon's image import.
func (im *Images) importRootfs(ctx context.Context, r *imgRecipe, rootDir string) error {
	pr, pw := io.Pipe()
	tarErr := make(chan error, 1)
	go func() {
		err := rootfs.WriteTar(pw, rootDir)
		pw.CloseWithError(err)
		tarErr <- err
	}()
	res, err := im.docker.ImageImport(ctx, client.ImageImportSource{Source: pr, SourceName: "-"}, r.baseTag,
		client.ImageImportOptions{
			Message: "firedrill: debootstrap " + imgDebianSuite + " minbase + " + strings.Join(r.packages, ","),
			Changes: []string{
				fmt.Sprintf("LABEL %s=base-%s", ImageLabelRole, r.baseName),
				fmt.Sprintf("LABEL %s=%s", ImageLabelRecipeHash, r.baseHash),
				`ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
				`CMD ["bash"]`,
			},
		})
	if err != nil {
		pr.CloseWithError(err)
		<-tarErr
		return imgDaemon(fmt.Errorf("import root filesystem: %w", err))
	}
	defer res.Close()
	err = buildlog.ReadStream(res, func(m buildlog.Message) {
		im.log().Debug("docker import", "role", r.role, "status", m.Status)
	})
	pr.CloseWithError(errors.New("import finished"))
	if terr := <-tarErr; terr != nil && err == nil {
		// Reading the root filesystem failed: a host-side error.
		return fmt.Errorf("import root filesystem: %w", terr)
	}
	if err != nil {
		return imgDaemon(fmt.Errorf("import root filesystem: %w", err))
	}
	return nil
}

// ---- minio ----

func (im *Images) buildMinIO(ctx context.Context, r *imgRecipe, tmp string, force bool) error {
	if err := im.minioBinary(ctx, tmp); err != nil {
		return err
	}
	return im.dockerBuild(ctx, r, r.files, nil, force)
}

// minioBinary makes sure the MinIO binary is in the cache, running `go install`
// when it is not. It is installed into the build directory and renamed into place,
// so an interrupted install never leaves a partial binary in the cache.
func (im *Images) minioBinary(ctx context.Context, tmp string) error {
	final := imgMinIOBinaryPath(im.cacheDir)
	if err := StaticBinary(final); err == nil {
		im.progressf(ctx, "  reusing %s", final)
		return nil
	}
	if runtime.GOOS != "linux" {
		return fmt.Errorf("building the MinIO binary for a linux container needs a linux host (go install cannot cross-compile into GOBIN); use a Docker that can pull minio/minio")
	}
	if err := im.require(RoleMinIO); err != nil {
		return err
	}
	goBin := im.host.Find(needGo)
	gobin := filepath.Join(tmp, "gobin")
	// The user's GOCACHE and GOMODCACHE are used as they are: a second build
	// (another cache directory, a forced rebuild) reuses both.
	env := []string{
		"CGO_ENABLED=0",
		"GOFLAGS=" + imgMinIOGoFlags,
		"GOBIN=" + gobin,
		"GOWORK=off",
	}
	pkg := imgMinIOModule + "@" + imgMinIOVersion
	im.progressf(ctx, "  go install %s (%s; downloads modules and compiles, usually 3-6 min)...", pkg, imgMinIOBuildID())
	err := im.step(ctx, "go install", func() error {
		return im.run(ctx, "go install", tmp, env, goBin, "install", "-ldflags="+imgMinIOLDFlags, pkg)
	})
	if err != nil {
		return err
	}
	built := filepath.Join(gobin, "minio")
	if err := StaticBinary(built); err != nil {
		return fmt.Errorf("go install produced an unusable binary: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(final), 0o755); err != nil {
		return err
	}
	return os.Rename(built, final)
}

// ---- app ----

func (im *Images) buildApp(ctx context.Context, r *imgRecipe, force bool) error {
	// The binary may have been replaced since its hash was taken.
	for _, f := range r.files {
		if f.Name == "rootfs/firedrill" {
			sum, err := recipe.FileSHA256(f.Src)
			if err != nil {
				return err
			}
			if sum != r.binarySum {
				return fmt.Errorf("%s changed while firedrill was running; start again", f.Src)
			}
		}
	}
	return im.dockerBuild(ctx, r, r.files, nil, force)
}

// ---- shared build machinery ----

// dockerBuild runs the classic builder (no BuildKit: FROM a local image and FROM
// scratch need no registry) on files, tagging r.tag with the recipe labels.
func (im *Images) dockerBuild(ctx context.Context, r *imgRecipe, files []recipe.ContextFile, args map[string]*string, force bool) error {
	pr, pw := io.Pipe()
	tarErr := make(chan error, 1)
	go func() {
		err := recipe.WriteContext(pw, files)
		pw.CloseWithError(err)
		tarErr <- err
	}()
	// The classic builder commits an image per step; a build that fails or
	// is interrupted leaves those untagged. They are ours (the stream names
	// each), and removed below.
	var stepImages []string
	tail := buildlog.NewTail(30, func(line string) {
		im.log().Debug("docker build", "role", r.role, "line", line)
		if id, ok := buildlog.StepImage(line); ok {
			stepImages = append(stepImages, id)
		}
	})
	err := im.step(ctx, "docker build", func() error {
		res, err := im.docker.ImageBuild(ctx, pr, client.ImageBuildOptions{
			Tags:        []string{r.tag},
			Version:     build.BuilderV1,
			Remove:      true,
			ForceRemove: true,
			NoCache:     force,
			BuildArgs:   args,
			Labels: map[string]string{
				ImageLabelRole:       string(r.role),
				ImageLabelRecipeHash: r.hash,
			},
		})
		if err != nil {
			return err
		}
		defer res.Body.Close()
		return buildlog.ReadStream(res.Body, func(m buildlog.Message) {
			if m.Stream != "" {
				tail.Write([]byte(m.Stream))
			}
		})
	})
	pr.CloseWithError(errors.New("build finished"))
	if terr := <-tarErr; terr != nil && err == nil {
		err = fmt.Errorf("build context: %w", terr)
	}
	if err != nil {
		im.removeStepImages(context.WithoutCancel(ctx), stepImages)
		return imgDaemon(buildlog.WithTail(fmt.Errorf("docker build: %w", err), tail))
	}
	return nil
}

// removeStepImages removes what a failed build committed, newest first. A
// cached step's image is another build's layer: Docker refuses to remove an
// image with a tag or a child without Force, so those stay.
func (im *Images) removeStepImages(ctx context.Context, ids []string) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for i := len(ids) - 1; i >= 0; i-- {
		if _, err := im.docker.ImageRemove(ctx, ids[i], client.ImageRemoveOptions{PruneChildren: true}); err != nil {
			im.log().Debug("step image of a failed build kept", "id", ids[i], "err", err)
		}
	}
}

// run runs a build tool in dir, its output logged at debug level and its last
// lines kept for the error. It runs in its own process group, killed as a whole
// when ctx ends: debootstrap's dpkg and go's compilers must stop on Ctrl-C too.
func (im *Images) run(ctx context.Context, label, dir string, env []string, name string, args ...string) error {
	tail := buildlog.NewTail(30, func(line string) {
		im.log().Debug(label, "line", line)
	})
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout = tail
	cmd.Stderr = tail
	cmd.SysProcAttr = toolProcAttr()
	cmd.Cancel = func() error {
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	cmd.WaitDelay = 10 * time.Second
	im.log().Debug("running", "cmd", name, "args", args)
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("%s: %w", label, ctx.Err())
		}
		return &imgToolError{label, buildlog.WithTail(fmt.Errorf("%s: %w", label, err), tail)}
	}
	return nil
}

// imgLowPriority wraps a command line in nice(1), so that debootstrap (dpkg
// unpacking, gzip) yields the CPU to a MinIO compile running at the same time,
// the longest step of a first build. Without nice it runs as it is.
func imgLowPriority(name string, args []string) []string {
	nice, err := exec.LookPath("nice")
	if err != nil {
		return append([]string{name}, args...)
	}
	return append([]string{nice, "-n", "10", name}, args...)
}
