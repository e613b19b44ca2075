// Package images resolves and builds the images of a drill environment. Every
// container firedrill starts needs an image, and the machines firedrill runs on
// may not reach any registry. Images resolves a role (postgres, minio, app,
// nettools, and the HA stacks' patroni, etcd, pg_auto_failover) to an image in
// this order:
//
//  1. the image the user named (by default the official one) already present;
//  2. firedrill's recipe image for the current recipe hash already present;
//  3. a pull of the named image (if pulling is allowed; a failure falls through);
//  4. a build of the recipe from what is reachable: Debian's archive via
//     debootstrap, the Go module proxy via `go install`, the firedrill binary.
//
// A user whose Docker can pull gets the official image unchanged; a user whose
// Docker cannot gets an image honouring the same contract, built once and reused.
// The HA roles have no official image: the recipe is their default, and any
// image a scenario names for them is the user's own, used if present or
// pullable.
// Recipe images are a cache: they carry the labels firedrill.image and
// firedrill.recipe.hash but never firedrill.run, so `firedrill clean` (which
// removes a run's objects) keeps them.
//
// The recipes themselves (Dockerfiles, the Postgres entrypoint) are embedded
// from recipes/; recipes.go turns them and their inputs into a hash that names
// the image, debootstrap.go lists the debootstrap recipes (the three HA images
// share one base). needs.go declares what each recipe needs on the host and
// checks it before any build starts; concurrent.go runs the builds at once.
// Subpackages: rootfs (the Debian root filesystems of the debootstrap
// recipes), elfdeps (whether a binary runs FROM scratch, and the loader and
// libraries it needs when it is dynamically linked) and internal/recipe (the
// hash, the tags and the build context tar).
package images
