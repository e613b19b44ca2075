package netpin

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
)

// API is the part of the Docker client netpin uses.
type API interface {
	NetworkCreate(ctx context.Context, name string, options client.NetworkCreateOptions) (client.NetworkCreateResult, error)
	NetworkInspect(ctx context.Context, networkID string, options client.NetworkInspectOptions) (client.NetworkInspectResult, error)
	NetworkRemove(ctx context.Context, networkID string, options client.NetworkRemoveOptions) (client.NetworkRemoveResult, error)
}

var _ API = (*client.Client)(nil)

// attempts bounds the retries when another process takes the subnet
// between netpin's two creations.
const attempts = 3

// Create makes a bridge network with the labels whose IPv4 subnet is one
// Docker picked from its address pools (which it keeps clear of the
// host's routes and the other networks) and then given back to it
// explicitly: the network is created once to learn the subnet, removed,
// and created again with it. Both creations carry the labels, so a
// process killed in between leaves only what `firedrill clean` sweeps.
func Create(ctx context.Context, api API, name string, labels map[string]string) error {
	var last error
	for range attempts {
		picked, err := pick(ctx, api, name, labels)
		if err != nil {
			return err
		}
		_, err = api.NetworkCreate(ctx, name, client.NetworkCreateOptions{
			Driver: "bridge",
			Labels: labels,
			IPAM:   &network.IPAM{Config: picked},
		})
		if err == nil {
			return nil
		}
		if !overlaps(err) {
			return fmt.Errorf("create network %s on its subnet: %w", name, err)
		}
		last = err
	}
	return fmt.Errorf("create network %s: its subnet was taken %d times in a row: %w", name, attempts, last)
}

// pick creates the network once with Docker's choice of subnet and
// removes it again, returning the IPv4 subnets Docker chose.
func pick(ctx context.Context, api API, name string, labels map[string]string) ([]network.IPAMConfig, error) {
	res, err := api.NetworkCreate(ctx, name, client.NetworkCreateOptions{Driver: "bridge", Labels: labels})
	if err != nil {
		return nil, fmt.Errorf("create network %s: %w", name, err)
	}
	ins, ierr := api.NetworkInspect(ctx, res.ID, client.NetworkInspectOptions{})
	if _, err := api.NetworkRemove(ctx, res.ID, client.NetworkRemoveOptions{}); err != nil {
		return nil, fmt.Errorf("remove network %s to pin its subnet: %w", name, err)
	}
	if ierr != nil {
		return nil, fmt.Errorf("inspect network %s: %w", name, ierr)
	}
	picked := IPv4(ins.Network.IPAM.Config)
	if len(picked) == 0 {
		return nil, fmt.Errorf("network %s: Docker gave it no IPv4 subnet to pin", name)
	}
	return picked, nil
}

// IPv4 keeps the IPv4 subnets of an IPAM configuration.
func IPv4(cfg []network.IPAMConfig) []network.IPAMConfig {
	var out []network.IPAMConfig
	for _, c := range cfg {
		if c.Subnet.IsValid() && c.Subnet.Addr().Is4() {
			out = append(out, network.IPAMConfig{Subnet: c.Subnet, Gateway: c.Gateway})
		}
	}
	return out
}

func overlaps(err error) bool {
	return strings.Contains(err.Error(), "overlaps")
}

// Endpoint is how a node joins a network under its alias: at addr when it
// is valid (the address the node had before it was cut off), else at
// whatever Docker gives it.
func Endpoint(alias string, addr netip.Addr) *network.EndpointSettings {
	ep := &network.EndpointSettings{Aliases: []string{alias}}
	if addr.IsValid() {
		ep.IPAMConfig = &network.EndpointIPAMConfig{IPv4Address: addr}
	}
	return ep
}

// Taken says whether Docker refused an address because another container
// holds it now: the node then joins at another one, which the fault's
// evidence records.
func Taken(err error) bool {
	return err != nil && strings.Contains(err.Error(), "in use")
}
