package images

// What the recipes need on the host, declared once here and checked before any
// build starts: a first run that needs two tools should say so at once, with
// the commands that install them, not fail on the first after minutes of work.

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/firedrill/firedrill/images/internal/hostneeds"
)

// Need is one thing a recipe needs on the machine that builds it.
type Need = hostneeds.Need

// The needs of the recipes. A need belongs to the recipe step whose output is
// cached: once the base image or the MinIO binary exists, the tool is no longer
// needed.
var (
	needDebootstrap = Need{
		Name: "debootstrap", Why: "makes the Debian root filesystem",
		Executable: "debootstrap", Dirs: []string{"/usr/sbin", "/sbin"}, Package: "debootstrap",
	}
	needRoot = Need{
		Name: "root", Why: "debootstrap needs it", Root: true,
	}
	needGo = Need{
		Name: "go toolchain", Why: "go install of " + imgMinIOModule,
		Executable: "go", Dirs: []string{"/usr/local/go/bin"}, MinGo: "1.21",
		Hint: "install Go 1.24 or later from https://go.dev/dl and put its bin directory on PATH",
	}
	imgRecipeNeeds = map[Role][]Need{
		RolePostgres:       {needDebootstrap, needRoot},
		RoleNetTools:       {needDebootstrap, needRoot},
		RolePatroni:        {needDebootstrap, needRoot},
		RoleEtcd:           {needDebootstrap, needRoot},
		RolePGAutoFailover: {needDebootstrap, needRoot},
		RoleMinIO:          {needGo},
	}
)

// RecipeNeeds returns what building role's recipe from nothing needs on the host.
func RecipeNeeds(role Role) []Need { return slices.Clone(imgRecipeNeeds[role]) }

// Missing is one unmet need, with the roles that need it and how to meet it.
type Missing struct {
	Need  Need
	Roles []Role
	// Fix is the exact command to run, or what to do when no command fits.
	Fix string
}

// For returns the roles that need it, comma-separated.
func (m Missing) For() string { return imgJoinRoles(m.Roles) }

// MissingError is the preflight's failure: every unmet need of the builds
// about to start, in one message.
type MissingError struct {
	Missing []Missing
}

func (e *MissingError) Error() string {
	var b strings.Builder
	b.WriteString("cannot build the images: this machine lacks what their recipes need")
	for _, m := range e.Missing {
		fmt.Fprintf(&b, "\n  %s (%s; for %s): %s", m.Need.Name, m.Need.Why, imgJoinRoles(m.Roles), m.Fix)
	}
	return b.String()
}

// Packages returns the system packages to install, each once, in order.
func (e *MissingError) Packages() []string {
	var out []string
	for _, m := range e.Missing {
		if m.Need.Package != "" && !slices.Contains(out, m.Need.Package) {
			out = append(out, m.Need.Package)
		}
	}
	return out
}

func imgJoinRoles(roles []Role) string {
	s := make([]string, len(roles))
	for i, r := range roles {
		s[i] = string(r)
	}
	return strings.Join(s, ", ")
}

// missing checks the needs of each role (in order) and groups the unmet ones
// by need, in the order they are declared.
func imgMissing(h hostneeds.Host, needs map[Role][]Need, roles []Role) []Missing {
	var out []Missing
	index := map[string]int{}
	whys := map[string]string{}
	for _, role := range roles {
		for _, n := range needs[role] {
			ok, why := h.Check(n)
			if ok {
				continue
			}
			whys[n.Name] = why
			if i, ok := index[n.Name]; ok {
				out[i].Roles = append(out[i].Roles, role)
				continue
			}
			index[n.Name] = len(out)
			out = append(out, Missing{Need: n, Roles: []Role{role}})
		}
	}
	for i := range out {
		m := &out[i]
		switch {
		case m.Need.Root:
			m.Fix = "run the build as root once, e.g. `sudo firedrill images build " + strings.ReplaceAll(imgJoinRoles(m.Roles), ",", "") +
				"` (later runs reuse the images)"
		case m.Need.Package != "":
			m.Fix = h.InstallCommand(m.Need.Package)
		default:
			m.Fix = m.Need.Hint
		}
		if why := whys[m.Need.Name]; why != "" {
			m.Fix += " (" + why + ")"
		}
	}
	return out
}

// Needs reports what building the images of roles would need and this machine
// lacks, skipping roles whose image is present (their official image or the
// current recipe image) and needs whose step's output is cached (the base image
// of a debootstrap recipe, the MinIO binary). A pull of an official image may
// still make a build unnecessary; Needs cannot know. force counts every role as
// absent, as `images build --force` rebuilds from scratch.
func (im *Images) Needs(ctx context.Context, roles []Role, force bool) ([]Missing, error) {
	needs := map[Role][]Need{}
	for _, role := range roles {
		if !slices.Contains(Roles(), role) {
			return nil, fmt.Errorf("check build needs: unknown role %q", role)
		}
		n, err := im.pendingNeeds(ctx, role, force)
		if err != nil {
			return nil, fmt.Errorf("check build needs of %s: %w", role, err)
		}
		needs[role] = n
	}
	return imgMissing(im.host, needs, roles), nil
}

// pendingNeeds are the needs of the steps a build of role would run now.
func (im *Images) pendingNeeds(ctx context.Context, role Role, force bool) ([]Need, error) {
	if force {
		return imgRecipeNeeds[role], nil
	}
	if off := imgOfficial[role]; off != "" {
		if _, found, err := im.inspect(ctx, off); err != nil || found {
			return nil, err
		}
	}
	r, err := im.recipe(role)
	if err != nil {
		// The recipe's own error (an unusable app binary) is reported by the
		// build; it is no missing tool.
		return nil, nil
	}
	if _, found, err := im.inspect(ctx, r.tag); err != nil || found {
		return nil, err
	}
	switch {
	case r.baseTag != "":
		if _, found, err := im.inspect(ctx, r.baseTag); err != nil || found {
			return nil, err
		}
	case role == RoleMinIO:
		if StaticBinary(r.minioBinary) == nil {
			return nil, nil
		}
	}
	return imgRecipeNeeds[role], nil
}

// preflight fails with a MissingError when the builds of roles cannot run.
func (im *Images) preflight(ctx context.Context, roles []Role, force bool) error {
	missing, err := im.Needs(ctx, roles, force)
	if err != nil {
		return err
	}
	if len(missing) > 0 {
		return &MissingError{Missing: missing}
	}
	return nil
}

// require fails with a MissingError when role's needs are unmet; the build
// steps call it, so that a build started without the preflight (Resolve of one
// role) says the same.
func (im *Images) require(role Role) error {
	if missing := imgMissing(im.host, imgRecipeNeeds, []Role{role}); len(missing) > 0 {
		return &MissingError{Missing: missing}
	}
	return nil
}
