package main

// The agent protocol (src/cni/agent/protocol.cts): one request and one answer per connection,
// each a 4-byte big-endian length and UTF-8 JSON; the plugin half-closes after its request.

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"strconv"
	"strings"
)

const (
	protocolVersion    = 1
	defaultAgentSocket = "/var/run/calico/cni-agent.sock"
	agentSocketEnv     = "CALICO_CNI_AGENT_SOCKET"
	agentEnabledEnv    = "CALICO_CNI_AGENT"
	agentSocketNetconf = "cni_agent_socket"
	maxFrameBytes      = 8 << 20
)

type request struct {
	V       int               `json:"v"`
	Plugin  string            `json:"plugin"`
	Command string            `json:"command"`
	Env     map[string]string `json:"env"`
	Stdin   string            `json:"stdin"`
	Netns   string            `json:"netns,omitempty"`
}

// response is the agent's answer: what the plugin prints and its exit status.
type response struct {
	Stdout   string
	ExitCode int
	Stderr   string
	// Refused is set when the agent did not run the request: it is ours to run in-process.
	Refused bool
}

// agentSocketPath: the environment wins, then the netconf's cni_agent_socket, then the default.
func agentSocketPath(stdin []byte) string {
	if p := os.Getenv(agentSocketEnv); p != "" {
		return p
	}
	var conf map[string]json.RawMessage
	if json.Unmarshal(stdin, &conf) == nil {
		var p string
		if raw, ok := conf[agentSocketNetconf]; ok && json.Unmarshal(raw, &p) == nil && p != "" {
			return p
		}
	}
	return defaultAgentSocket
}

func agentDisabled() bool {
	switch strings.ToLower(os.Getenv(agentEnabledEnv)) {
	case "false", "0", "off", "no":
		return true
	}
	return false
}

// environ is the whole environment as a map (the agent runs runCni with it).
func environ() map[string]string {
	env := map[string]string{}
	for _, kv := range os.Environ() {
		if i := strings.IndexByte(kv, '='); i > 0 {
			if _, dup := env[kv[:i]]; !dup {
				env[kv[:i]] = kv[i+1:]
			}
		}
	}
	return env
}

// ownNetns names this process's network namespace as the kernel does, e.g. net:[4026531840].
func ownNetns() string {
	ns, err := os.Readlink("/proc/self/ns/net")
	if err != nil {
		return ""
	}
	return ns
}

func encodeFrame(req *request) ([]byte, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	if len(body) > maxFrameBytes {
		return nil, errFrame(len(body))
	}
	frame := make([]byte, 4+len(body))
	binary.BigEndian.PutUint32(frame, uint32(len(body)))
	copy(frame[4:], body)
	return frame, nil
}

type errFrame int

func (n errFrame) Error() string {
	return "frame of " + strconv.Itoa(int(n)) + " bytes exceeds " + strconv.Itoa(maxFrameBytes)
}

// decodeAnswer checks one answer frame as thin-client.cts does; the string is the failure text.
func decodeAnswer(data []byte) (*response, string) {
	if len(data) == 0 {
		return nil, "calico-cni-agent closed the connection before answering"
	}
	if len(data) < 4 {
		return nil, "calico-cni-agent sent a truncated answer"
	}
	want := binary.BigEndian.Uint32(data)
	if want > maxFrameBytes {
		return nil, "calico-cni-agent sent a bad answer: " + errFrame(want).Error()
	}
	if uint64(len(data)) < 4+uint64(want) {
		return nil, "calico-cni-agent sent a truncated answer"
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data[4:4+want], &m); err != nil {
		var any interface{}
		if json.Unmarshal(data[4:4+want], &any) != nil {
			return nil, "calico-cni-agent sent a bad answer: " + err.Error()
		}
		return nil, "calico-cni-agent sent a malformed answer"
	}
	r := &response{}
	var refused string
	code, isInt := integer(m["exitCode"])
	if !isInt || !stringField(m, "stdout", &r.Stdout, false) || !stringField(m, "stderr", &r.Stderr, true) ||
		!stringField(m, "refused", &refused, true) {
		return nil, "calico-cni-agent sent a malformed answer"
	}
	r.ExitCode = code
	_, r.Refused = m["refused"]
	return r, ""
}

// stringField reads m[key] into *out; a missing key is fine only when optional, and null is not a
// string (as isAgentResponse sees it).
func stringField(m map[string]json.RawMessage, key string, out *string, optional bool) bool {
	raw, ok := m[key]
	if !ok {
		return optional
	}
	return json.Unmarshal(raw, out) == nil && string(raw) != "null"
}

// integer mirrors Number.isInteger on a JSON value.
func integer(raw json.RawMessage) (int, bool) {
	var f float64
	if raw == nil || string(raw) == "null" || json.Unmarshal(raw, &f) != nil {
		return 0, false
	}
	if math.IsInf(f, 0) || math.Trunc(f) != f {
		return 0, false
	}
	// Only the low 8 bits reach the exit status, in Node's process.exit as in os.Exit.
	return int(int64(math.Mod(f, 1<<32))), true
}

// failure is a CNI error answer (code 999) in the request's cniVersion, as JSON.stringify writes it.
func failure(stdin []byte, msg string) *response {
	return &response{ExitCode: 1, Stdout: `{"cniVersion":` + jsString(requestedVersion(stdin, "1.0.0")) +
		`,"code":999,"msg":` + jsString(msg) + `}`}
}

// requestedVersion is the netconf's cniVersion when it is a non-empty string, else def.
func requestedVersion(stdin []byte, def string) string {
	var conf map[string]json.RawMessage
	if json.Unmarshal(stdin, &conf) != nil {
		return def
	}
	var v string
	if raw, ok := conf["cniVersion"]; ok && json.Unmarshal(raw, &v) == nil && v != "" {
		return v
	}
	return def
}

var supportedVersions = []string{"0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"}

const latestVersion = "1.1.0"

// versionAnswer mirrors version-answer.cts byte for byte.
func versionAnswer(stdin []byte) string {
	v := latestVersion
	if r := requestedVersion(stdin, ""); r != "" {
		for _, s := range supportedVersions {
			if s == r {
				v = r
			}
		}
	}
	var b strings.Builder
	b.WriteString(`{"cniVersion":` + jsString(v) + `,"supportedVersions":[`)
	for i, s := range supportedVersions {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(jsString(s))
	}
	b.WriteString("]}")
	return b.String()
}
