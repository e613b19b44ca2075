package images

// Several images are resolved and built at once: on a fresh machine the
// builds are independent (debootstrap for postgres and nettools, a compile for
// MinIO, a copy for the app) and one after another they cost the sum of their
// times instead of the longest (docs/benchmarks.md).

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// Request is one image an environment needs: a role and the image the
// scenario names for it ("" for the role's default).
type Request struct {
	Role Role
	Want string
}

// ResolveAll resolves every request as Resolve does, at once: first what is
// present or pullable, then, after checking that this machine has everything
// the remaining builds need (a MissingError names all that is missing), the
// builds, concurrently. The first failed build cancels the others; the error
// reports every build that failed. A role requested twice must want the same
// image.
func (im *Images) ResolveAll(ctx context.Context, reqs []Request) (map[Role]Image, error) {
	var uniq []Request
	for _, q := range reqs {
		i := slices.IndexFunc(uniq, func(u Request) bool { return u.Role == q.Role })
		switch {
		case i < 0:
			uniq = append(uniq, q)
		case uniq[i].Want != q.Want:
			return nil, fmt.Errorf("resolve images: role %s requested as both %q and %q", q.Role, uniq[i].Want, q.Want)
		}
	}
	out := map[Role]Image{}
	recipes := make([]*imgRecipe, len(uniq))
	errs := make([]error, len(uniq))
	var wg sync.WaitGroup
	var mu sync.Mutex
	for i, q := range uniq {
		// Concurrently: pulls that fail may each take a while.
		wg.Go(func() {
			img, r, err := im.resolveExisting(ctx, q.Role, q.Want)
			recipes[i], errs[i] = r, err
			if err == nil && r == nil {
				mu.Lock()
				out[q.Role] = img
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	built, err := im.buildAll(ctx, slices.DeleteFunc(recipes, func(r *imgRecipe) bool { return r == nil }), false)
	for role, img := range built {
		out[role] = img
	}
	return out, err
}

// BuildAll builds the recipes of roles as Build does, concurrently, after the
// same check of what the builds need as ResolveAll.
func (im *Images) BuildAll(ctx context.Context, roles []Role, force bool) (map[Role]Image, error) {
	var recipes []*imgRecipe
	for _, role := range roles {
		if !slices.Contains(Roles(), role) {
			return nil, fmt.Errorf("build image: unknown role %q", role)
		}
		r, err := im.recipe(role)
		if err != nil {
			return nil, fmt.Errorf("build %s image: %w", role, err)
		}
		if !slices.Contains(recipes, r) {
			recipes = append(recipes, r)
		}
	}
	return im.buildAll(ctx, recipes, force)
}

// imgBuildCost orders builds longest first: the MinIO compile is the critical
// path, so it starts before debootstrap takes the other core. The drill's
// images (postgres, nettools) come before the HA ones, which share one base:
// the first of them to start makes it (debootstrap runs one at a time).
var imgBuildCost = map[Role]int{
	RoleMinIO: 0, RolePostgres: 1, RoleNetTools: 2,
	RolePatroni: 3, RolePGAutoFailover: 4, RoleEtcd: 5, RoleApp: 6,
}

// imgLongestFirst returns the recipes in the order their builds start.
func imgLongestFirst(recipes []*imgRecipe) []*imgRecipe {
	out := slices.Clone(recipes)
	slices.SortStableFunc(out, func(a, b *imgRecipe) int { return cmp.Compare(imgBuildCost[a.role], imgBuildCost[b.role]) })
	return out
}

// errImgSiblingFailed is the cause of the cancellation of the builds still
// running when one fails.
var errImgSiblingFailed = errors.New("another image build failed")

func (im *Images) buildAll(ctx context.Context, recipes []*imgRecipe, force bool) (map[Role]Image, error) {
	if len(recipes) == 0 {
		return map[Role]Image{}, nil
	}
	roles := make([]Role, len(recipes))
	for i, r := range recipes {
		roles[i] = r.role
	}
	if err := im.preflight(ctx, roles, force); err != nil {
		return nil, err
	}
	recipes = imgLongestFirst(recipes)

	bctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	imgs := make([]Image, len(recipes))
	errs := make([]error, len(recipes))
	var wg sync.WaitGroup
	for i, r := range recipes {
		wg.Go(func() {
			imgs[i], errs[i] = im.buildOne(bctx, r, force)
			if errs[i] != nil {
				cancel(errImgSiblingFailed)
			}
		})
	}
	wg.Wait()

	out := map[Role]Image{}
	var failed []error
	var cancelled []string
	for i, r := range recipes {
		switch err := errs[i]; {
		case err == nil:
			out[r.role] = imgs[i]
		case ctx.Err() == nil && errors.Is(context.Cause(bctx), errImgSiblingFailed) && errors.Is(err, context.Canceled):
			cancelled = append(cancelled, string(r.role))
		default:
			failed = append(failed, err)
		}
	}
	if len(cancelled) > 0 {
		failed = append(failed, fmt.Errorf("build of %s stopped because another failed", strings.Join(cancelled, ", ")))
	}
	return out, errors.Join(failed...)
}
