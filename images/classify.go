package images

// Decision is how an image for a role is obtained, decided from the role and
// the image the scenario names before anything is looked up. Resolve and
// ResolveAll follow it, and `firedrill plan` prints it with lookups only, so
// that plan and run cannot disagree about which images are official
// (docs/architecture.md, "One model of the topology").
//
// The order it implies: Name present locally; when Recipe, firedrill's recipe
// image for the current recipe hash present locally, then a pull of Name (if
// any, and if pulls are allowed), then a build of the recipe; without Recipe,
// a pull of Name, else a failure.
type Decision struct {
	Role Role
	// Want is the image the scenario names, "" for the role's default.
	Want string
	// Name is the image looked up and pulled: Want, or the role's official
	// image when Want is empty; "" when the role has no official image
	// (app, nettools, and patroni, etcd, pg_auto_failover: no single image
	// is the official one of those stacks) and none is named.
	Name string
	// Official reports whether Name is the role's official image (any
	// postgres 15 tag, any minio/minio tag, however the reference is
	// spelled: docker.io/postgres:15 and index.docker.io/library/postgres:15
	// too).
	Official bool
	// Recipe reports whether firedrill's recipe may stand in for Name: for
	// the official image or no image at all. An image the scenario names
	// that is not the official one must be present or pullable: the recipe
	// is not what the user asked for. For a role without an official image
	// that means any name is the user's own image.
	Recipe bool
}

// Decide returns the decision for role and want. It is pure: no Docker, no
// registry.
func Decide(role Role, want string) Decision {
	d := Decision{Role: role, Want: want, Name: want}
	if d.Name == "" {
		d.Name = imgOfficial[role]
	}
	d.Official = d.Name != "" && imgIsOfficial(role, d.Name)
	d.Recipe = want == "" || d.Official
	return d
}
