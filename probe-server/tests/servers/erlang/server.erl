%% An Erlang/OTP ssl server for the probe's tests (testbed::ErlangServer), run as an escript:
%%   escript server.erl PORT CERT_PEM CHAIN_PEM KEY_PEM VERSIONS CIPHERS GROUPS
%% VERSIONS: comma-separated ('tlsv1.3,tlsv1.2'); CIPHERS: colon-separated suite names
%% (RFC or OpenSSL spelling, ssl:str_to_suite/1), or "default"; GROUPS: comma-separated
%% (x25519,secp256r1), or "default". Listens on 127.0.0.1 only; every connection gets its
%% own process, does the handshake, reads a request and answers "hello".
-module(server).
-export([main/1]).

main([Port, Cert, Chain, Key, Versions, Ciphers, Groups]) ->
    {ok, _} = application:ensure_all_started(ssl),
    Options = [
        {ip, {127, 0, 0, 1}},
        {certfile, Cert},
        {cacertfile, Chain},
        {keyfile, Key},
        {versions, [list_to_atom(V) || V <- string:split(Versions, ",", all)]},
        {reuseaddr, false},
        {active, false},
        binary
    ] ++ ciphers(Ciphers) ++ groups(Groups),
    case ssl:listen(list_to_integer(Port), Options) of
        {ok, Listen} ->
            io:format("listening on 127.0.0.1:~s~n", [Port]),
            accept(Listen);
        {error, Reason} ->
            io:format(standard_error, "listen: ~p~n", [Reason]),
            halt(1)
    end.

ciphers("default") -> [];
ciphers(Names) -> [{ciphers, [ssl:str_to_suite(N) || N <- string:split(Names, ":", all)]}].

groups("default") -> [];
groups(Names) -> [{supported_groups, [list_to_atom(G) || G <- string:split(Names, ",", all)]}].

accept(Listen) ->
    case ssl:transport_accept(Listen) of
        {ok, Socket} ->
            Pid = spawn(fun() -> receive go -> serve(Socket) end end),
            ok = ssl:controlling_process(Socket, Pid),
            Pid ! go;
        {error, _} ->
            ok
    end,
    accept(Listen).

serve(Socket) ->
    case ssl:handshake(Socket, 10000) of
        {ok, Tls} ->
            _ = ssl:recv(Tls, 0, 10000),
            Body = <<"hello\n">>,
            ssl:send(Tls, [<<"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ">>,
                           integer_to_list(byte_size(Body)),
                           <<"\r\nConnection: close\r\n\r\n">>, Body]),
            ssl:close(Tls);
        {error, _} ->
            ok
    end.
