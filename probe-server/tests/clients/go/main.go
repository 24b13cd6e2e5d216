// A Go HTTPS client as Go programs usually are: net/http's DefaultTransport with
// crypto/tls defaults. Used by the handshake-simulation tests to see what real Go
// negotiates with a test server.
//
// Usage: client ADDRESS NAME CA_PEM — fetches https://NAME/tls over a connection to
// ADDRESS (never resolving NAME), trusting CA_PEM, and prints the body.
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"
)

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: client ADDRESS NAME CA_PEM")
		os.Exit(2)
	}
	address, name, caFile := os.Args[1], os.Args[2], os.Args[3]
	pem, err := os.ReadFile(caFile)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pem)
	transport := http.DefaultTransport.(*http.Transport).Clone()
	// Only the trust anchors change: the hello stays crypto/tls's default one
	// (net/http adds ALPN h2 and http/1.1 itself).
	transport.TLSClientConfig = &tls.Config{RootCAs: roots}
	dial := transport.DialContext
	transport.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return dial(ctx, network, address)
	}
	client := &http.Client{Transport: transport, Timeout: 10 * time.Second}
	resp, err := client.Get("https://" + name + "/tls")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	fmt.Printf("%s\n", body)
}
