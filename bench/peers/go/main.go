// gopeer: the Go servers of the benchmark, on the standard library alone (no module downloads).
//
//	gopeer hello [-cert CERT.pem -key KEY.pem]   net/http "Hello, World!" (HTTP/1.1; with TLS also HTTP/2 by ALPN)
//	gopeer files -dir DIR                        http.FileServer over DIR
//	gopeer echo                                  TCP echo, a goroutine per connection
//
// Each binds 127.0.0.1 on an ephemeral port and prints its URL (http://, https:// or tcp://) as the first
// line on stdout. GOMAXPROCS follows the CPUs the process may run on (taskset).
package main

import (
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
)

var hello = []byte("Hello, World!")

func main() {
	if len(os.Args) < 2 {
		fail("usage: gopeer hello|files|echo [options]")
	}
	flags := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	cert := flags.String("cert", "", "PEM certificate chain (TLS)")
	key := flags.String("key", "", "PEM private key (TLS)")
	dir := flags.String("dir", ".", "folder to serve (files)")
	_ = flags.Parse(os.Args[2:])

	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fail(err.Error())
	}
	port := listener.Addr().(*net.TCPAddr).Port

	switch os.Args[1] {
	case "hello":
		handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h := w.Header()
			h.Set("Content-Type", "text/plain")
			h.Set("Content-Length", "13")
			w.Write(hello)
		})
		serveHTTP(listener, port, handler, *cert, *key)
	case "files":
		serveHTTP(listener, port, http.FileServer(http.Dir(*dir)), *cert, *key)
	case "echo":
		fmt.Printf("tcp://127.0.0.1:%d\n", port)
		for {
			conn, err := listener.Accept()
			if err != nil {
				fail(err.Error())
			}
			go func(c net.Conn) {
				defer c.Close()
				io.Copy(c, c)
			}(conn)
		}
	default:
		fail("unknown mode " + os.Args[1])
	}
}

func serveHTTP(listener net.Listener, port int, handler http.Handler, cert, key string) {
	server := &http.Server{Handler: handler}
	if cert == "" {
		fmt.Printf("http://127.0.0.1:%d/\n", port)
		fail(server.Serve(listener).Error())
	}
	pair, err := tls.LoadX509KeyPair(cert, key)
	if err != nil {
		fail(err.Error())
	}
	// ServeTLS enables HTTP/2 (ALPN h2) itself when NextProtos is left empty.
	server.TLSConfig = &tls.Config{Certificates: []tls.Certificate{pair}}
	fmt.Printf("https://127.0.0.1:%d/\n", port)
	fail(server.ServeTLS(listener, "", "").Error())
}

func fail(message string) {
	fmt.Fprintln(os.Stderr, "gopeer:", message)
	os.Exit(1)
}
