// A Go HTTPS server (net/http over crypto/tls) for the probe's tests (testbed::GoServer).
//
// Usage: server -port P -cert CHAIN_PEM -key KEY_PEM [-min 1.2] [-max 1.3]
//
//	[-suites 0xc02b,0xc02f] [-curves X25519,P256]
//
// Listens on 127.0.0.1 only and answers every path with "hello". -suites sets
// tls.Config.CipherSuites (TLS 1.0-1.2 only: Go's TLS 1.3 suites are not configurable) and
// -curves tls.Config.CurvePreferences, exactly as given.
package main

import (
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
)

var versions = map[string]uint16{
	"1.0": tls.VersionTLS10,
	"1.1": tls.VersionTLS11,
	"1.2": tls.VersionTLS12,
	"1.3": tls.VersionTLS13,
}

var curves = map[string]tls.CurveID{
	"X25519":         tls.X25519,
	"P256":           tls.CurveP256,
	"P384":           tls.CurveP384,
	"P521":           tls.CurveP521,
	"X25519MLKEM768": tls.X25519MLKEM768,
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(2)
}

func main() {
	port := flag.Int("port", 0, "port on 127.0.0.1")
	cert := flag.String("cert", "", "certificate chain, PEM")
	key := flag.String("key", "", "private key, PEM")
	min := flag.String("min", "1.2", "lowest version")
	max := flag.String("max", "1.3", "highest version")
	suites := flag.String("suites", "", "TLS 1.0-1.2 suites, comma-separated hex ids")
	curveList := flag.String("curves", "", "groups, comma-separated names")
	flag.Parse()

	pair, err := tls.LoadX509KeyPair(*cert, *key)
	if err != nil {
		fail("load key pair: %v", err)
	}
	config := &tls.Config{
		Certificates: []tls.Certificate{pair},
		MinVersion:   versions[*min],
		MaxVersion:   versions[*max],
	}
	if config.MinVersion == 0 || config.MaxVersion == 0 {
		fail("unknown version %q or %q", *min, *max)
	}
	if *suites != "" {
		for _, text := range strings.Split(*suites, ",") {
			id, err := strconv.ParseUint(text, 0, 16)
			if err != nil {
				fail("suite %q: %v", text, err)
			}
			config.CipherSuites = append(config.CipherSuites, uint16(id))
		}
	}
	if *curveList != "" {
		for _, name := range strings.Split(*curveList, ",") {
			curve, ok := curves[name]
			if !ok {
				fail("unknown curve %q", name)
			}
			config.CurvePreferences = append(config.CurvePreferences, curve)
		}
	}
	listener, err := net.Listen("tcp4", fmt.Sprintf("127.0.0.1:%d", *port))
	if err != nil {
		fail("listen: %v", err)
	}
	server := &http.Server{
		TLSConfig: config,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			fmt.Fprintln(w, "hello")
		}),
		// The probe's many refused handshakes are expected: keep them out of the log.
		ErrorLog: log.New(io.Discard, "", 0),
	}
	fmt.Printf("listening on %s\n", listener.Addr())
	if err := server.ServeTLS(listener, "", ""); err != nil {
		fail("serve: %v", err)
	}
}
