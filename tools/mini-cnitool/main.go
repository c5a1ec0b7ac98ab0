// mini-cnitool: drives a CNI network list (add/check/del) against a network namespace with
// libcni, like the upstream cnitool, for tests and demos. Built offline from Debian's libcni by
// scripts/build-cnitool.sh (calico-ts lab tool).
//
// usage: mini-cnitool add|check|del <network-name> <netns-path>
// On failure the plugin's CNI error is printed to stdout as JSON ({"code","msg","details"}).
// env:   NETCONFPATH   config directory (default /etc/cni/net.d)
//        CNI_PATH      plugin directories (default /usr/lib/cni)
//        CNI_IFNAME    interface name (default eth0)
//        CNI_CONTAINERID  container id (default "cnitool-" + the netns file name without dashes)
//        CNI_ARGS      extra args "K=V;K=V" (e.g. K8S_POD_NAMESPACE=ns;K8S_POD_NAME=pod)
//        CNI_CACHE_DIR result cache (default /var/lib/cni)
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/containernetworking/cni/libcni"
	"github.com/containernetworking/cni/pkg/types"
)

func env(k, d string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return d
}

func parseArgs(s string) ([][2]string, error) {
	var out [][2]string
	for _, pair := range strings.Split(s, ";") {
		if pair == "" {
			continue
		}
		kv := strings.SplitN(pair, "=", 2)
		if len(kv) != 2 || kv[0] == "" {
			return nil, fmt.Errorf("invalid CNI_ARGS pair %q", pair)
		}
		out = append(out, [2]string{kv[0], kv[1]})
	}
	return out, nil
}

// fail prints the error; a plugin's CNI error also goes to stdout as JSON so callers see its code.
func fail(err error) {
	var cniErr *types.Error
	if errors.As(err, &cniErr) {
		b, _ := json.Marshal(cniErr)
		fmt.Println(string(b))
	}
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: mini-cnitool add|check|del <net> <netns>")
		os.Exit(2)
	}
	cmd, name, netns := os.Args[1], os.Args[2], os.Args[3]
	list, err := libcni.LoadConfList(env("NETCONFPATH", "/etc/cni/net.d"), name)
	if err != nil {
		fail(err)
	}
	args, err := parseArgs(os.Getenv("CNI_ARGS"))
	if err != nil {
		fail(err)
	}
	cni := libcni.NewCNIConfigWithCacheDir(filepath.SplitList(env("CNI_PATH", "/usr/lib/cni")), os.Getenv("CNI_CACHE_DIR"), nil)
	rt := &libcni.RuntimeConf{
		ContainerID: env("CNI_CONTAINERID", "cnitool-"+strings.ReplaceAll(filepath.Base(netns), "-", "")),
		NetNS:       netns,
		IfName:      env("CNI_IFNAME", "eth0"),
		Args:        args,
	}
	ctx := context.TODO()
	switch cmd {
	case "add":
		res, err := cni.AddNetworkList(ctx, list, rt)
		if err != nil {
			fail(err)
		}
		_ = res.Print()
	case "check":
		err = cni.CheckNetworkList(ctx, list, rt)
	case "del":
		err = cni.DelNetworkList(ctx, list, rt)
	default:
		err = fmt.Errorf("unknown command %q", cmd)
	}
	if err != nil {
		fail(err)
	}
}
