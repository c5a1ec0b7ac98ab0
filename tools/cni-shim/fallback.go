package main

import (
	"os"
	"syscall"
)

// execFallback replaces this process with the Node launcher (same pid, arguments and
// environment). When stdin was already read it is replayed on fd 0 first, so the Node plugin
// reads the same bytes. Returns only by exiting with a CNI error when the exec fails.
func execFallback(plugin string, stdin []byte, replay bool) {
	path := fallback()
	if replay {
		if err := replayStdin(stdin); err != nil {
			fail(stdin, plugin+": cannot hand stdin to the in-process fallback: "+err.Error())
		}
	}
	argv := append([]string{path}, os.Args[1:]...)
	err := syscall.Exec(path, argv, os.Environ())
	fail(stdin, plugin+": cannot run the in-process fallback "+path+": "+err.Error())
}

func fail(stdin []byte, msg string) {
	writeAll(os.Stdout, failure(stdin, msg).Stdout)
	os.Exit(1)
}

// replayStdin puts data on fd 0: a pipe when it fits the pipe's buffer (written whole before the
// exec, write end closed), else an unlinked temporary file.
func replayStdin(data []byte) error {
	var p [2]int
	if err := syscall.Pipe2(p[:], syscall.O_CLOEXEC|syscall.O_NONBLOCK); err != nil {
		return err
	}
	ok := true
	for off := 0; off < len(data); {
		n, err := syscall.Write(p[1], data[off:])
		if err != nil || n <= 0 {
			ok = false
			break
		}
		off += n
	}
	syscall.Close(p[1])
	if ok {
		if err := syscall.SetNonblock(p[0], false); err != nil {
			return err
		}
		return moveToStdin(p[0])
	}
	syscall.Close(p[0])
	f, err := os.CreateTemp("", "calico-cni-stdin-")
	if err != nil {
		return err
	}
	_ = os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		return err
	}
	if _, err := f.Seek(0, 0); err != nil {
		return err
	}
	fd, err := syscall.Dup(int(f.Fd()))
	if err != nil {
		return err
	}
	return moveToStdin(fd)
}

// moveToStdin makes fd the process's fd 0 (inherited across exec) and closes the original.
func moveToStdin(fd int) error {
	if err := syscall.Dup3(fd, 0, 0); err != nil {
		return err
	}
	return syscall.Close(fd)
}
