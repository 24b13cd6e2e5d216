module probe-server/tests/servers/go

go 1.27
