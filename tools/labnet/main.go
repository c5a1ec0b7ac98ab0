// labnet: the server every calico-lab Kubernetes pod runs, and the client that probes it.
//
//	labnet serve --name NS/POD --tcp 80,81 --udp 80,81
//	labnet probe --to IP --port P --protocol tcp|udp --timeout 1s
//	labnet probe-many --to IP,IP,... --port P --protocol tcp|udp --timeout 1s
//
// serve answers TCP connections with one line (the pod's name) and echoes that line for every UDP
// datagram; it prints "ready" once every socket is bound. probe exits 0 when connected (TCP: the
// handshake completed; UDP: a reply arrived) and 1 when not. probe-many probes several addresses
// at once and prints one line per address: "IP ok" or "IP fail <reason>"; it exits 0.
package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

func usage() {
	fmt.Fprintln(os.Stderr, "usage: labnet serve --name NAME [--tcp P,P] [--udp P,P]")
	fmt.Fprintln(os.Stderr, "       labnet probe --to IP --port P [--protocol tcp|udp] [--timeout 1s]")
	fmt.Fprintln(os.Stderr, "       labnet probe-many --to IP,IP --port P [--protocol tcp|udp] [--timeout 1s]")
	os.Exit(2)
}

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	switch os.Args[1] {
	case "serve":
		serve(os.Args[2:])
	case "probe":
		os.Exit(probeCmd(os.Args[2:], false))
	case "probe-many":
		os.Exit(probeCmd(os.Args[2:], true))
	default:
		usage()
	}
}

func ports(list string) ([]int, error) {
	var out []int
	for _, s := range strings.Split(list, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		p, err := strconv.Atoi(s)
		if err != nil || p < 1 || p > 65535 {
			return nil, fmt.Errorf("bad port %q", s)
		}
		out = append(out, p)
	}
	return out, nil
}

func serve(args []string) {
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	name := fs.String("name", "pod", "name sent to clients")
	tcpList := fs.String("tcp", "", "TCP ports, comma-separated")
	udpList := fs.String("udp", "", "UDP ports, comma-separated")
	_ = fs.Parse(args)
	tcpPorts, err := ports(*tcpList)
	if err != nil {
		fatal(err)
	}
	udpPorts, err := ports(*udpList)
	if err != nil {
		fatal(err)
	}
	line := []byte(*name + "\n")
	for _, p := range tcpPorts {
		l, err := net.Listen("tcp4", fmt.Sprintf(":%d", p))
		if err != nil {
			fatal(err)
		}
		go acceptLoop(l, line)
	}
	for _, p := range udpPorts {
		c, err := net.ListenPacket("udp4", fmt.Sprintf(":%d", p))
		if err != nil {
			fatal(err)
		}
		go echoLoop(c, line)
	}
	fmt.Printf("ready: %s tcp [%s] udp [%s]\n", *name, *tcpList, *udpList)
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	<-stop
}

func acceptLoop(l net.Listener, line []byte) {
	for {
		c, err := l.Accept()
		if err != nil {
			continue
		}
		go func() {
			_ = c.SetWriteDeadline(time.Now().Add(2 * time.Second))
			_, _ = c.Write(line)
			_ = c.Close()
		}()
	}
}

func echoLoop(c net.PacketConn, line []byte) {
	buf := make([]byte, 2048)
	for {
		_, from, err := c.ReadFrom(buf)
		if err != nil {
			continue
		}
		_, _ = c.WriteTo(line, from)
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "labnet:", err)
	os.Exit(2)
}

func probeCmd(args []string, many bool) int {
	fs := flag.NewFlagSet("probe", flag.ExitOnError)
	to := fs.String("to", "", "destination IPv4 address(es)")
	port := fs.Int("port", 80, "destination port")
	proto := fs.String("protocol", "tcp", "tcp or udp")
	timeout := fs.Duration("timeout", time.Second, "give up after this long")
	_ = fs.Parse(args)
	if *to == "" || (*proto != "tcp" && *proto != "udp") || *port < 1 || *port > 65535 {
		usage()
	}
	targets := strings.Split(*to, ",")
	if !many {
		if err := probe(targets[0], *port, *proto, *timeout); err != nil {
			fmt.Printf("%s fail %v\n", targets[0], err)
			return 1
		}
		fmt.Printf("%s ok\n", targets[0])
		return 0
	}
	results := make([]string, len(targets))
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Add(1)
		go func(i int, t string) {
			defer wg.Done()
			if err := probe(t, *port, *proto, *timeout); err != nil {
				results[i] = fmt.Sprintf("%s fail %v", t, err)
			} else {
				results[i] = t + " ok"
			}
		}(i, t)
	}
	wg.Wait()
	fmt.Println(strings.Join(results, "\n"))
	return 0
}

func probe(ip string, port int, proto string, timeout time.Duration) error {
	if net.ParseIP(ip).To4() == nil {
		return fmt.Errorf("not an IPv4 address: %q", ip)
	}
	addr := net.JoinHostPort(ip, strconv.Itoa(port))
	deadline := time.Now().Add(timeout)
	if proto == "tcp" {
		c, err := net.DialTimeout("tcp4", addr, timeout)
		if err != nil {
			return short(err)
		}
		_ = c.Close()
		return nil
	}
	c, err := net.Dial("udp4", addr)
	if err != nil {
		return short(err)
	}
	defer c.Close()
	_ = c.SetDeadline(deadline)
	buf := make([]byte, 2048)
	// A lost datagram is not a refusal: send again until the deadline.
	for {
		if _, err := c.Write([]byte("probe\n")); err != nil {
			return short(err)
		}
		_ = c.SetReadDeadline(minTime(deadline, time.Now().Add(200*time.Millisecond)))
		_, err := c.Read(buf)
		if err == nil {
			return nil
		}
		var ne net.Error
		if !(errors.As(err, &ne) && ne.Timeout()) || !time.Now().Before(deadline) {
			return short(err)
		}
	}
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// short turns "dial tcp4 1.2.3.4:80: connect: connection refused" into "connection refused".
func short(err error) error {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return errors.New("timeout")
	}
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 {
		s = s[i+2:]
	}
	return errors.New(s)
}
