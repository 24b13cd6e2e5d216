module probe-server/tests/clients/go

go 1.27
