// cni-shim: the compiled thin `calico` / `calico-ipam` CNI plugin.
//
// It does what src/cni/agent/plugin-main.cts does, without Node's ~40 ms start: answers VERSION
// itself, hands every other command to calico-cni-agent over its unix socket (the protocol of
// src/cni/agent/protocol.cts), prints the agent's answer and exits with its status. When no agent
// listens (or it refuses the request, or CALICO_CNI_AGENT turns it off) it execs the Node launcher
// installed beside it, with the same arguments, environment and stdin, so the in-process fallback
// behaves exactly as before. A run by hand (arguments, or a terminal and no CNI_COMMAND) goes
// straight to the Node launcher too.
//
// calico-cni-agent --install-plugins builds it once per plugin, naming the plugin and the
// launcher at link time:
//
//	go build -ldflags "-X main.pluginName=calico -X main.fallbackPath=/opt/cni/bin/calico.cjs"
package main

import (
	"io"
	"os"
	"syscall"
	"unsafe"
)

// Set at link time (-X); the defaults serve a binary built by hand and run from a plugin dir.
var (
	pluginName   = ""
	fallbackPath = ""
)

// name returns the plugin this binary stands for: the link-time name, else its own file name.
func name() string {
	if pluginName != "" {
		return pluginName
	}
	if base(os.Args[0]) == "calico-ipam" {
		return "calico-ipam"
	}
	return "calico"
}

// fallback returns the Node launcher's path: the link-time one, else "<argv0>.cjs".
func fallback() string {
	if fallbackPath != "" {
		return fallbackPath
	}
	return os.Args[0] + ".cjs"
}

func base(p string) string {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '/' {
			return p[i+1:]
		}
	}
	return p
}

// isTerminal reports whether fd is a terminal (TCGETS succeeds).
func isTerminal(fd int) bool {
	var t syscall.Termios
	_, _, errno := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), syscall.TCGETS, uintptr(unsafe.Pointer(&t)))
	return errno == 0
}

// byHand mirrors entry.cts: flags, or a terminal with no CNI_COMMAND, mean a person runs it.
func byHand() bool {
	if len(os.Args) > 1 {
		return true
	}
	if os.Getenv("CNI_COMMAND") != "" {
		return false
	}
	return isTerminal(0)
}

func writeAll(f *os.File, s string) {
	for len(s) > 0 {
		n, err := f.WriteString(s)
		if err != nil && n == 0 {
			return
		}
		s = s[n:]
	}
}

func main() {
	plugin := name()
	if byHand() {
		execFallback(plugin, nil, false)
	}
	stdin, err := io.ReadAll(os.Stdin)
	if err != nil {
		// Unreadable stdin: the Node plugin reports it exactly as it always did.
		execFallback(plugin, nil, false)
	}
	command := os.Getenv("CNI_COMMAND")
	var resp *response
	if command == "VERSION" {
		resp = &response{Stdout: versionAnswer(stdin)}
	} else {
		resp = askAgent(plugin, command, stdin)
	}
	if resp == nil {
		execFallback(plugin, stdin, true)
	}
	if resp.Stderr != "" {
		writeAll(os.Stderr, resp.Stderr)
	}
	writeAll(os.Stdout, resp.Stdout)
	os.Exit(resp.ExitCode)
}
