package main

import (
	"errors"
	"io"
	"net"
	"strconv"
	"syscall"
	"time"
)

// The thin client's wait for an answer (thin-client.cts: beyond the agent's own 80 s limit).
const answerTimeout = 120 * time.Second

// noAgent: connect errors meaning nobody listens, so the request was never delivered.
var noAgent = map[syscall.Errno]bool{
	syscall.ENOENT: true, syscall.ECONNREFUSED: true, syscall.EACCES: true,
	syscall.ENOTSOCK: true, syscall.EPERM: true,
}

// errnoNames: libuv's names for the errors a unix socket exchange can meet (Node prints these).
var errnoNames = map[syscall.Errno]string{
	syscall.ENOENT: "ENOENT", syscall.ECONNREFUSED: "ECONNREFUSED", syscall.EACCES: "EACCES",
	syscall.ENOTSOCK: "ENOTSOCK", syscall.EPERM: "EPERM", syscall.ENOTDIR: "ENOTDIR",
	syscall.ENAMETOOLONG: "ENAMETOOLONG", syscall.ELOOP: "ELOOP", syscall.EAGAIN: "EAGAIN",
	syscall.ECONNRESET: "ECONNRESET", syscall.EPIPE: "EPIPE", syscall.EINVAL: "EINVAL",
	syscall.ENOMEM: "ENOMEM", syscall.EMFILE: "EMFILE", syscall.ENFILE: "ENFILE",
	syscall.ETIMEDOUT: "ETIMEDOUT", syscall.EPROTOTYPE: "EPROTOTYPE", syscall.ENOBUFS: "ENOBUFS",
}

func errName(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		if n, ok := errnoNames[errno]; ok {
			return n
		}
		return "errno " + strconv.Itoa(int(errno))
	}
	return err.Error()
}

// askAgent returns the agent's answer, or nil when the request is ours to run in-process (no
// agent, turned off, or refused). Once the request may have reached the agent, any failure is a
// CNI error answer instead: running it again in-process could double an ADD.
func askAgent(plugin, command string, stdin []byte) *response {
	if agentDisabled() {
		return nil
	}
	frame, err := encodeFrame(&request{
		V: protocolVersion, Plugin: plugin, Command: command, Env: environ(), Stdin: string(stdin),
		Netns: ownNetns(),
	})
	if err != nil {
		return failure(stdin, plugin+": "+err.Error())
	}
	conn, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: agentSocketPath(stdin), Net: "unix"})
	if err != nil {
		var errno syscall.Errno
		if errors.As(err, &errno) && noAgent[errno] {
			return nil
		}
		return failure(stdin, "calico-cni-agent did not answer: connect: "+errName(err))
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(answerTimeout))
	if _, err := conn.Write(frame); err != nil {
		return failure(stdin, "calico-cni-agent did not answer: write: "+errName(err))
	}
	_ = conn.CloseWrite()
	data, err := io.ReadAll(conn)
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return failure(stdin, "calico-cni-agent did not answer: no answer within "+
				strconv.Itoa(int(answerTimeout/time.Millisecond))+" ms")
		}
		return failure(stdin, "calico-cni-agent did not answer: "+errName(err))
	}
	resp, why := decodeAnswer(data)
	if resp == nil {
		return failure(stdin, why)
	}
	if resp.Refused {
		return nil
	}
	return resp
}
