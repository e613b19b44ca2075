package images

import (
	"github.com/firedrill/firedrill/images/internal/hostneeds"

	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/moby/moby/client"

	"github.com/firedrill/firedrill/images/internal/buildlog"
	"github.com/firedrill/firedrill/images/rootfs"
)

// Role is the part an image plays in a drill environment.
type Role string

const (
	// RolePostgres is a Postgres 15 server honouring the official postgres image's contract.
	RolePostgres Role = "postgres"
	// RoleMinIO is a MinIO server, the S3 target of backups.
	RoleMinIO Role = "minio"
	// RoleApp is the firedrill binary running the sample application.
	RoleApp Role = "app"
	// RoleNetTools is a sidecar with iproute2 and iptables that joins a target's
	// network namespace to inject network faults.
	RoleNetTools Role = "nettools"
	// RolePatroni is a Postgres 15 node run by Patroni 3.0 (REST API on 8008,
	// patronictl), its DCS etcd. It runs what it is told as the postgres user.
	RolePatroni Role = "patroni"
	// RoleEtcd is an etcd 3.4 member (etcdctl too), the DCS of the patroni role.
	RoleEtcd Role = "etcd"
	// RolePGAutoFailover is a Postgres 15 node with pg_auto_failover 2.0: the
	// monitor and the keepers alike, started with `pg_autoctl ...`.
	RolePGAutoFailover Role = "pg_auto_failover"
)

// Roles returns every role, in the order images are usually listed.
func Roles() []Role {
	return []Role{RolePostgres, RoleMinIO, RoleApp, RoleNetTools, RolePatroni, RoleEtcd, RolePGAutoFailover}
}

// Where a resolved image came from (Image.Source).
const (
	// SourceLocal: the named (usually official) image was already present.
	SourceLocal = "local"
	// SourcePulled: the named image was pulled from its registry.
	SourcePulled = "pulled"
	// SourceRecipeCached: firedrill's recipe image for the current recipe hash was present.
	SourceRecipeCached = "recipe-cached"
	// SourceBuilt: firedrill's recipe image was built now.
	SourceBuilt = "built"
)

// Labels on recipe images. They deliberately do not include the per-run label
// firedrill.run: recipe images outlive runs.
const (
	// ImageLabelRole names the role of a recipe image ("postgres", ...), or
	// "base-<role>" for the imported root filesystem a recipe builds on.
	ImageLabelRole = "firedrill.image"
	// ImageLabelRecipeHash is the full hash of every input of the recipe.
	ImageLabelRecipeHash = "firedrill.recipe.hash"
)

// Image is a resolved image reference.
type Image struct {
	Role Role
	// Ref is what to pass to ContainerCreate: the named image or the recipe tag.
	Ref string
	// ID is the image ID (sha256:...).
	ID string
	// Source is one of SourceLocal, SourcePulled, SourceRecipeCached, SourceBuilt.
	Source string
	// Official reports whether Ref is the role's official image (postgres:15,
	// minio/minio) rather than firedrill's recipe or another named image.
	Official bool
}

// ImageStatus is what List reports for one role.
type ImageStatus struct {
	Role Role
	// Official is the role's official image ("" for roles that have none) and
	// OfficialPresent whether Docker has it.
	Official        string
	OfficialPresent bool
	// RecipeTag and RecipeHash identify the recipe image for the current inputs;
	// both are empty, and RecipeError says why, when they cannot be computed
	// (for example the app role without an app binary).
	RecipeTag     string
	RecipeHash    string
	RecipeError   string
	RecipePresent bool
	// ID, Size and Created describe the recipe image when present.
	ID      string
	Size    int64
	Created time.Time
	// Stale lists recipe images of this role built from other inputs; Prune
	// removes them.
	Stale []string
}

// Row formats the status as tab-separated columns ROLE, IMAGE, PRESENT, SIZE for
// a tabwriter table: the recipe image, followed by the official image when Docker
// has it (Resolve prefers it).
func (s ImageStatus) Row() string {
	ref, present, size := s.RecipeTag, "no (would build)", "-"
	if ref == "" {
		ref = "(" + s.RecipeError + ")"
		present = "-"
	}
	if s.RecipePresent {
		present = "yes"
		size = fmt.Sprintf("%.0f MB", float64(s.Size)/1e6)
	}
	row := fmt.Sprintf("%s\t%s\t%s\t%s", s.Role, ref, present, size)
	if s.OfficialPresent {
		row += fmt.Sprintf("\n%s\t%s\t%s\t%s", s.Role, s.Official, "yes (official, used first)", "-")
	}
	if len(s.Stale) > 0 {
		row += fmt.Sprintf("\n%s\t%s\t%s\t%s", s.Role, strings.Join(s.Stale, ", "), "stale", "-")
	}
	return row
}

// ImagesOption configures Images.
type ImagesOption func(*Images)

// WithAppBinary sets the firedrill binary the app image is built from. It must be
// a static linux ELF (build with CGO_ENABLED=0).
func WithAppBinary(path string) ImagesOption {
	return func(im *Images) { im.appBinary = path }
}

// WithCacheDir sets where build inputs are cached (downloaded .deb files, the
// MinIO binary, locks). Default: $XDG_CACHE_HOME/firedrill or ~/.cache/firedrill.
func WithCacheDir(dir string) ImagesOption {
	return func(im *Images) { im.cacheDir = dir }
}

// WithProgress sets where human progress lines go (default os.Stderr: a build can
// take minutes and silence looks like a hang). Use io.Discard to silence.
func WithProgress(w io.Writer) ImagesOption {
	return func(im *Images) {
		if w == nil {
			w = io.Discard
		}
		im.progress = w
	}
}

// WithLogger sets the logger; docker build output and tool output are logged at
// debug level. Default: slog.Default().
func WithLogger(l *slog.Logger) ImagesOption {
	return func(im *Images) { im.logger = l }
}

// WithPull sets whether Resolve may pull the named image (default true). A failed
// pull is never an error: Resolve falls through to the recipe.
func WithPull(allowed bool) ImagesOption {
	return func(im *Images) { im.pull = allowed }
}

// WithDebianMirror overrides the Debian mirror debootstrap uses (default: the
// host's apt sources for bookworm, else http://deb.debian.org/debian).
func WithDebianMirror(url string) ImagesOption {
	return func(im *Images) { im.mirror = url }
}

// Images resolves and builds the images of a drill environment. It is safe for
// concurrent use, also across processes sharing a cache directory.
type Images struct {
	docker    *client.Client
	appBinary string
	cacheDir  string
	progress  io.Writer
	logger    *slog.Logger
	pull      bool
	mirror    string
	host      hostneeds.Host // what the recipes' needs are checked against
	// buildOne builds one recipe (im.build); tests replace it.
	buildOne func(ctx context.Context, r *imgRecipe, force bool) (Image, error)

	mu      sync.Mutex
	recipes map[Role]*imgRecipe // computed once: the app binary's hash is not free
	// basesMade are the base images this Images made: a forced build of
	// several roles sharing a base remakes it once.
	basesMade map[string]bool

	progressMu sync.Mutex
}

// NewImages returns an Images talking to docker (create it with
// client.New(client.FromEnv, client.WithAPIVersionNegotiation())). Nothing is
// checked or built until Resolve, Build or List is called.
func NewImages(docker *client.Client, opts ...ImagesOption) *Images {
	im := &Images{
		docker:   docker,
		progress: os.Stderr,
		pull:     true,
		host:     hostneeds.Real,
		recipes:  map[Role]*imgRecipe{},

		basesMade: map[string]bool{},
	}
	im.buildOne = im.build
	for _, o := range opts {
		o(im)
	}
	if im.cacheDir == "" {
		im.cacheDir = imgDefaultCacheDir()
	}
	return im
}

func imgDefaultCacheDir() string {
	if dir, err := os.UserCacheDir(); err == nil {
		return filepath.Join(dir, "firedrill")
	}
	return filepath.Join(os.TempDir(), "firedrill-cache")
}

// CacheDir returns the cache directory in use.
func (im *Images) CacheDir() string { return im.cacheDir }

// OfficialImage returns the official image of role ("" if it has none).
func OfficialImage(role Role) string { return imgOfficial[role] }

var imgOfficial = map[Role]string{
	RolePostgres: "postgres:15",
	RoleMinIO:    "minio/minio",
}

// imgIsOfficial reports whether ref names the role's official image, which our
// recipe may stand in for: any postgres 15.x tag, any minio/minio tag.
func imgIsOfficial(role Role, ref string) bool {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return false
	}
	tag := "latest"
	if t, ok := named.(reference.Tagged); ok {
		tag = t.Tag()
	} else if _, ok := named.(reference.Digested); ok {
		// A digest pins content we cannot reproduce.
		return false
	}
	name := reference.FamiliarName(named)
	switch role {
	case RolePostgres:
		return name == "postgres" && (tag == "15" || strings.HasPrefix(tag, "15.") || strings.HasPrefix(tag, "15-"))
	case RoleMinIO:
		return name == "minio/minio" || name == "quay.io/minio/minio"
	}
	return false
}

func (im *Images) log() *slog.Logger {
	if im.logger != nil {
		return im.logger
	}
	return slog.Default()
}

// imgRoleKey carries the role whose build or pull a context belongs to.
type imgRoleKey struct{}

func imgWithRole(ctx context.Context, role Role) context.Context {
	return context.WithValue(ctx, imgRoleKey{}, role)
}

// progressf writes one human line. Builds of several roles run at once, so a
// line about one is prefixed with its role, after the indentation: "  [minio]
// go install: still running (1m30s)".
func (im *Images) progressf(ctx context.Context, format string, args ...any) {
	line := fmt.Sprintf(format, args...)
	if role, ok := ctx.Value(imgRoleKey{}).(Role); ok {
		rest := strings.TrimLeft(line, " ")
		line = line[:len(line)-len(rest)] + "[" + string(role) + "] " + rest
	}
	im.progressMu.Lock()
	defer im.progressMu.Unlock()
	fmt.Fprintln(im.progress, line)
}

// Resolve returns an image for role. want is the image the user named; "" means
// the role's official image (postgres:15, minio/minio; the other roles have
// none). The order is: the named image present locally, our recipe image for the
// current recipe hash present locally, a pull of the named image (if allowed; a
// failure falls through), a build of the recipe. When want names an image other
// than the official one, the recipe cannot stand in for it: it is used if present
// or pullable, else Resolve fails. ResolveAll resolves several roles at once.
func (im *Images) Resolve(ctx context.Context, role Role, want string) (Image, error) {
	img, r, err := im.resolveExisting(ctx, role, want)
	if err != nil || r == nil {
		return img, err
	}
	return im.build(ctx, r, false)
}

// resolveExisting is Resolve without the build: it returns the image, or the
// recipe to build when no image is present or pullable.
func (im *Images) resolveExisting(ctx context.Context, role Role, want string) (Image, *imgRecipe, error) {
	if !slices.Contains(Roles(), role) {
		return Image{}, nil, fmt.Errorf("resolve image: unknown role %q", role)
	}
	ctx = imgWithRole(ctx, role)
	// One decision for run and plan (classify.go).
	d := Decide(role, want)
	name, official := d.Name, d.Official
	if name != "" {
		id, found, err := im.inspect(ctx, name)
		if err != nil {
			return Image{}, nil, fmt.Errorf("resolve %s image: %w", role, err)
		}
		if found {
			im.log().Debug("image present", "role", role, "ref", name)
			return Image{Role: role, Ref: name, ID: id, Source: SourceLocal, Official: official}, nil, nil
		}
	}
	if !d.Recipe {
		if im.pull {
			if img, ok := im.tryPull(ctx, role, name, false); ok {
				return img, nil, nil
			}
		}
		if err := ctx.Err(); err != nil {
			return Image{}, nil, fmt.Errorf("resolve %s image: %w", role, err)
		}
		return Image{}, nil, fmt.Errorf("resolve %s image: %s is not present and could not be pulled; "+
			"leave the image unset to use firedrill's built-in %s recipe", role, name, role)
	}

	r, err := im.recipe(role)
	if err != nil {
		return Image{}, nil, fmt.Errorf("resolve %s image: %w", role, err)
	}
	img, found, err := im.recipeImage(ctx, r)
	if err != nil {
		return Image{}, nil, fmt.Errorf("resolve %s image: %w", role, err)
	}
	if found {
		return img, nil, nil
	}
	if name != "" && im.pull {
		if img, ok := im.tryPull(ctx, role, name, official); ok {
			return img, nil, nil
		}
	}
	if err := ctx.Err(); err != nil {
		return Image{}, nil, fmt.Errorf("resolve %s image: %w", role, err)
	}
	return Image{}, r, nil
}

// Build builds the recipe of role unless an image for the current recipe hash
// exists; force rebuilds it from scratch (including the debootstrap base, which
// picks up Debian's latest updates).
func (im *Images) Build(ctx context.Context, role Role, force bool) (Image, error) {
	if !slices.Contains(Roles(), role) {
		return Image{}, fmt.Errorf("build image: unknown role %q", role)
	}
	r, err := im.recipe(role)
	if err != nil {
		return Image{}, fmt.Errorf("build %s image: %w", role, err)
	}
	return im.build(ctx, r, force)
}

// List reports, per role, the official image and firedrill's recipe image.
func (im *Images) List(ctx context.Context) ([]ImageStatus, error) {
	var out []ImageStatus
	for _, role := range Roles() {
		st := ImageStatus{Role: role, Official: imgOfficial[role]}
		if st.Official != "" {
			_, found, err := im.inspect(ctx, st.Official)
			if err != nil {
				return nil, fmt.Errorf("list images: %w", err)
			}
			st.OfficialPresent = found
		}
		currentHash := ""
		if r, err := im.recipe(role); err != nil {
			st.RecipeError = err.Error()
		} else {
			st.RecipeTag, st.RecipeHash, currentHash = r.tag, r.hash, r.hash
			res, err := im.docker.ImageInspect(ctx, r.tag)
			switch {
			case err == nil:
				st.RecipePresent = true
				st.ID = res.ID
				st.Size = res.Size
				st.Created, _ = time.Parse(time.RFC3339Nano, res.Created)
			case !cerrdefs.IsNotFound(err):
				return nil, fmt.Errorf("list images: inspect %s: %w", r.tag, err)
			}
		}
		stale, err := im.staleImages(ctx, role, currentHash)
		if err != nil {
			return nil, fmt.Errorf("list images: %w", err)
		}
		for _, s := range stale {
			st.Stale = append(st.Stale, s.ref)
		}
		out = append(out, st)
	}
	return out, nil
}

// Prune removes recipe images (and their imported bases) built from inputs other
// than the current ones, and returns the references removed. Images in use by a
// container are kept (their removal error is returned, the others proceed). The
// app role is skipped when no app binary is configured: its current hash is
// unknown.
func (im *Images) Prune(ctx context.Context) ([]string, error) {
	var removed []string
	var errs []error
	// The recipe images first, then their bases: several roles may share a
	// base (named once here), whose stale versions are those roles' parents.
	var stale []imgStale
	bases := map[string]string{} // base name -> current hash
	for _, role := range Roles() {
		r, err := im.recipe(role)
		if err != nil {
			continue
		}
		s, err := im.staleImages(ctx, role, r.hash)
		if err != nil {
			return removed, fmt.Errorf("prune images: %w", err)
		}
		stale = append(stale, s...)
		if r.baseName != "" {
			bases[r.baseName] = r.baseHash
		}
	}
	for _, name := range slices.Sorted(maps.Keys(bases)) {
		s, err := im.labelled(ctx, "base-"+name, bases[name])
		if err != nil {
			return removed, fmt.Errorf("prune images: %w", err)
		}
		stale = append(stale, s...)
	}
	for _, s := range stale {
		if _, err := im.docker.ImageRemove(ctx, s.ref, client.ImageRemoveOptions{PruneChildren: true}); err != nil {
			errs = append(errs, fmt.Errorf("remove %s: %w", s.ref, err))
			continue
		}
		removed = append(removed, s.ref)
	}
	// What interrupted builds left: untagged images carrying firedrill's
	// role label (the daemon may finish a build whose client went away, but
	// not tag it). Removing one removes its untagged parents with it.
	dangling, err := im.docker.ImageList(ctx, client.ImageListOptions{
		Filters: make(client.Filters).Add("dangling", "true").Add("label", ImageLabelRole),
	})
	if err != nil {
		return removed, errors.Join(append(errs, fmt.Errorf("prune images: %w", err))...)
	}
	for _, it := range dangling.Items {
		if _, err := im.docker.ImageRemove(ctx, it.ID, client.ImageRemoveOptions{PruneChildren: true}); err != nil {
			if !cerrdefs.IsNotFound(err) {
				errs = append(errs, fmt.Errorf("remove %s: %w", it.ID, err))
			}
			continue
		}
		removed = append(removed, it.ID+" (left by an interrupted build)")
	}
	return removed, errors.Join(errs...)
}

// imgStale is a removable image: its role label value and a reference to it.
type imgStale struct{ role, ref string }

// staleImages lists the recipe images of role whose hash is not current. When the
// current hash is unknown ("") nothing can be called stale.
func (im *Images) staleImages(ctx context.Context, role Role, current string) ([]imgStale, error) {
	if current == "" {
		return nil, nil
	}
	return im.labelled(ctx, string(role), current)
}

func (im *Images) labelled(ctx context.Context, value, current string) ([]imgStale, error) {
	res, err := im.docker.ImageList(ctx, client.ImageListOptions{
		Filters: make(client.Filters).Add("label", ImageLabelRole+"="+value),
	})
	if err != nil {
		return nil, err
	}
	var out []imgStale
	for _, it := range res.Items {
		if it.Labels[ImageLabelRole] != value || it.Labels[ImageLabelRecipeHash] == current {
			continue
		}
		if len(it.RepoTags) == 0 {
			out = append(out, imgStale{role: value, ref: it.ID})
		}
		for _, tag := range it.RepoTags {
			if tag != "<none>:<none>" {
				out = append(out, imgStale{role: value, ref: tag})
			}
		}
	}
	return out, nil
}

// inspect reports whether ref exists, and its ID.
func (im *Images) inspect(ctx context.Context, ref string) (id string, found bool, err error) {
	res, err := im.docker.ImageInspect(ctx, ref)
	if err != nil {
		if cerrdefs.IsNotFound(err) {
			return "", false, nil
		}
		return "", false, fmt.Errorf("inspect image %s: %w", ref, err)
	}
	return res.ID, true, nil
}

func (im *Images) recipeImage(ctx context.Context, r *imgRecipe) (Image, bool, error) {
	id, found, err := im.inspect(ctx, r.tag)
	if err != nil || !found {
		return Image{}, false, err
	}
	im.log().Debug("recipe image present", "role", r.role, "ref", r.tag)
	return Image{Role: r.role, Ref: r.tag, ID: id, Source: SourceRecipeCached}, true, nil
}

// imgPullStall bounds a pull that makes no progress: a registry behind a black
// hole would otherwise hold Resolve for the daemon's long network timeouts.
const imgPullStall = 60 * time.Second

func (im *Images) tryPull(ctx context.Context, role Role, ref string, official bool) (Image, bool) {
	im.progressf(ctx, "pulling %s...", ref)
	start := time.Now()
	if err := im.pullImage(ctx, ref); err != nil {
		im.log().Debug("pull failed", "role", role, "ref", ref, "err", err)
		im.progressf(ctx, "  cannot pull %s (%s); using firedrill's %s recipe", ref, buildlog.FirstLine(err.Error()), role)
		return Image{}, false
	}
	id, found, err := im.inspect(ctx, ref)
	if err != nil || !found {
		im.log().Debug("pulled image not found", "role", role, "ref", ref, "err", err)
		return Image{}, false
	}
	im.progressf(ctx, "pulled %s in %s", ref, imgDur(time.Since(start)))
	return Image{Role: role, Ref: ref, ID: id, Source: SourcePulled, Official: official}, true
}

func (im *Images) pullImage(ctx context.Context, ref string) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	resp, err := im.docker.ImagePull(ctx, ref, client.ImagePullOptions{})
	if err != nil {
		return err
	}
	defer resp.Close()
	stalled := time.AfterFunc(imgPullStall, cancel)
	defer stalled.Stop()
	err = buildlog.ReadStream(resp, func(m buildlog.Message) {
		stalled.Reset(imgPullStall)
		im.log().Debug("docker pull", "ref", ref, "status", m.Status, "id", m.ID)
	})
	if err != nil && ctx.Err() != nil {
		return fmt.Errorf("pull stalled or cancelled: %w", err)
	}
	return err
}

// build builds r under the role's lock, unless (without force) an image with the
// current hash exists or appears while waiting for the lock.
func (im *Images) build(ctx context.Context, r *imgRecipe, force bool) (Image, error) {
	ctx = imgWithRole(ctx, r.role)
	if !force {
		if img, found, err := im.recipeImage(ctx, r); err != nil || found {
			return img, err
		}
	}
	unlock, err := im.lock(ctx, "image-"+string(r.role), "another build of image "+string(r.role))
	if err != nil {
		return Image{}, fmt.Errorf("build %s image: %w", r.role, err)
	}
	defer unlock()
	oldID := ""
	if force {
		oldID, _, _ = im.inspect(ctx, r.tag)
	} else {
		// Another process may have built it while we waited.
		if img, found, err := im.recipeImage(ctx, r); err != nil || found {
			return img, err
		}
	}

	start := time.Now()
	im.progressf(ctx, "building image (%s)...", r.about)
	tmpRoot := filepath.Join(im.cacheDir, "tmp")
	if err := os.MkdirAll(tmpRoot, 0o755); err != nil {
		return Image{}, fmt.Errorf("build %s image: %w", r.role, err)
	}
	// Leftovers of a build that was killed: only a holder of this role's lock
	// uses <role>-* directories, so they are ours to remove.
	if old, _ := filepath.Glob(filepath.Join(tmpRoot, string(r.role)+"-*")); len(old) > 0 {
		for _, dir := range old {
			if err := rootfs.RemoveDir(dir); err != nil {
				im.log().Warn("cannot remove old build directory", "dir", dir, "err", err)
			}
		}
	}
	tmp, err := os.MkdirTemp(tmpRoot, string(r.role)+"-")
	if err != nil {
		return Image{}, fmt.Errorf("build %s image: %w", r.role, err)
	}
	defer func() {
		if err := rootfs.RemoveDir(tmp); err != nil {
			im.log().Warn("cannot remove build directory", "dir", tmp, "err", err)
		}
	}()

	switch {
	case r.baseTag != "":
		err = im.buildDebootstrapRecipe(ctx, r, tmp, force)
	case r.role == RoleMinIO:
		err = im.buildMinIO(ctx, r, tmp, force)
	case r.role == RoleApp:
		err = im.buildApp(ctx, r, force)
	default:
		err = fmt.Errorf("no recipe")
	}
	if err != nil {
		if ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
			err = fmt.Errorf("%w (%w)", ctx.Err(), err)
		}
		if full := imgDiskFull(r.role, err, im.cacheDir); full != nil {
			im.log().Debug("disk full", "role", r.role, "err", err)
			return Image{}, full
		}
		return Image{}, fmt.Errorf("build %s image: %w", r.role, err)
	}
	id, found, err := im.inspect(ctx, r.tag)
	if err != nil {
		return Image{}, fmt.Errorf("build %s image: %w", r.role, err)
	}
	if !found {
		return Image{}, fmt.Errorf("build %s image: %s missing after a successful build", r.role, r.tag)
	}
	if oldID != "" && oldID != id {
		// The forced rebuild moved the tag; the old image is now dangling.
		if _, err := im.docker.ImageRemove(ctx, oldID, client.ImageRemoveOptions{PruneChildren: true}); err != nil {
			im.log().Debug("cannot remove replaced image", "id", oldID, "err", err)
		}
	}
	im.progressf(ctx, "built %s in %s", r.tag, imgDur(time.Since(start)))
	return Image{Role: r.role, Ref: r.tag, ID: id, Source: SourceBuilt}, nil
}

// lock takes an exclusive lock named name in the cache directory, waiting (and
// saying so once) while another process or goroutine holds it. flock locks
// belong to the open file, so two opens in one process exclude each other too.
// Polling instead of a blocking flock keeps Ctrl-C working while waiting.
func (im *Images) lock(ctx context.Context, name, what string) (unlock func(), err error) {
	dir := filepath.Join(im.cacheDir, "locks")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, name+".lock")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	said := false
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() {
				_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
				_ = f.Close()
			}, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		if !said {
			im.progressf(ctx, "  waiting for %s to finish (lock %s)...", what, path)
			said = true
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// step runs fn, printing a line every 30 seconds while it runs and its duration
// when it succeeds: the long steps (debootstrap, go install) must not look hung.
func (im *Images) step(ctx context.Context, label string, fn func() error) error {
	start := time.Now()
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(30 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				im.progressf(ctx, "  %s: still running (%s)", label, imgDur(time.Since(start)))
			}
		}
	}()
	err := fn()
	close(done)
	if err == nil {
		im.progressf(ctx, "  %s: %s", label, imgDur(time.Since(start)))
	}
	return err
}

func imgDur(d time.Duration) string {
	if d < time.Second {
		return d.Round(time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}
