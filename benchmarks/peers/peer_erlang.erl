%% Erlang/OTP peer of benchmarks/bench_actors.py.
%%
%% Compiled at run time by the bench into a temporary directory and run as
%%
%%     erl +S 1 +P MAXPROCS -noshell -pa DIR -run peer_erlang main MEASUREMENT ARG...
%%
%% One scheduler (+S 1), like the single-threaded Python peers.  Prints one
%% JSON line with the raw figures (see peers/_common.py for the protocol)
%% and halts at once: tearing down a million processes is not measured.
-module(peer_erlang).
-behaviour(gen_server).

-export([main/1]).
-export([init/1, handle_call/3, handle_cast/2, idle_wake/0]).

main([Meas | Args]) ->
    Nums = [list_to_integer(A) || A <- Args],
    Result = run(list_to_atom(Meas), Nums),
    io:put_chars([json(Result), "\n"]),
    erlang:halt(0).

now_ns() -> erlang:monotonic_time(nanosecond).

seconds(T0, T1) -> (T1 - T0) / 1.0e9.

%% Resident set size of this beam process, from procfs, in bytes.
rss() ->
    {ok, Bin} = file:read_file("/proc/self/statm"),
    [_Size, Resident | _] = string:lexemes(binary_to_list(Bin), " \n"),
    list_to_integer(Resident) * 4096.

%% Wait until every process spawned so far has run up to its first
%% receive: the run queue is FIFO, so a process spawned now runs after all
%% of them; then check that the run queue is really empty.
settle() ->
    Self = self(),
    spawn(fun() -> Self ! settled end),
    receive settled -> ok end,
    case erlang:statistics(total_run_queue_lengths) of
        0 -> ok;
        _ -> settle()
    end.

%% ---------------------------------------------------------------- skynet
run(skynet, [Leaves]) ->
    Self = self(),
    T0 = now_ns(),
    spawn(fun() -> skynet(Self, 0, Leaves) end),
    R = receive X -> X end,
    T1 = now_ns(),
    [{seconds, seconds(T0, T1)}, {result, R}];

%% ---------------------------------------------------------------- ping-pong
run(pingpong, [N, Repeat]) ->
    Best = lists:min([pingpong_once(N) || _ <- lists:seq(1, Repeat)]),
    [{seconds, Best}];

%% ask: gen_server:call, Erlang's request/reply, against an echo server.
run(ask, [N, Repeat]) ->
    {ok, Srv} = gen_server:start(?MODULE, [], []),
    Best = lists:min([ask_once(Srv, N) || _ <- lists:seq(1, Repeat)]),
    [{seconds, Best}];

%% ---------------------------------------------------------------- park
run(park, [N]) ->
    Before = erlang:system_info(process_count),
    erlang:garbage_collect(),
    Rss0 = rss(),
    T0 = now_ns(),
    spawn_parked(N),
    settle(),
    T1 = now_ns(),
    Rss1 = rss(),
    Parked = erlang:system_info(process_count) - Before,
    [{seconds, seconds(T0, T1)}, {rss_delta, Rss1 - Rss0}, {parked, Parked}];

%% idle: hibernated processes, Erlang's own way to keep an idle process
%% small (its heap shrinks to what is live).
run(idle, [N]) ->
    Before = erlang:system_info(process_count),
    erlang:garbage_collect(),
    Rss0 = rss(),
    T0 = now_ns(),
    spawn_idle(N),
    settle(),
    T1 = now_ns(),
    Rss1 = rss(),
    Parked = erlang:system_info(process_count) - Before,
    [{seconds, seconds(T0, T1)}, {rss_delta, Rss1 - Rss0}, {parked, Parked}];

%% ---------------------------------------------------------------- ring
run(ring, [N, Laps]) ->
    Self = self(),
    Pids = [spawn(fun() -> ring_start(Self) end) || _ <- lists:seq(1, N)],
    Nexts = tl(Pids) ++ [hd(Pids)],
    lists:foreach(fun({P, Next}) -> P ! {next, Next} end,
                  lists:zip(Pids, Nexts)),
    settle(),
    M = N * Laps,
    T0 = now_ns(),
    hd(Pids) ! M,
    receive ring_done -> ok end,
    T1 = now_ns(),
    [{seconds, seconds(T0, T1)}, {messages, M}];

%% ---------------------------------------------------------------- mailbox
run(mailbox, [Senders, PerSender]) ->
    Self = self(),
    Total = Senders * PerSender,
    R = spawn(fun() -> recv_loop(Self, Total) end),
    settle(),
    T0 = now_ns(),
    spawn_senders(Senders, R, PerSender),
    receive mailbox_done -> ok end,
    T1 = now_ns(),
    [{seconds, seconds(T0, T1)}, {messages, Total}].

skynet(Parent, Num, 1) ->
    Parent ! Num;
skynet(Parent, Num, Size) ->
    Self = self(),
    Sub = Size div 10,
    spawn_children(Self, Num, Sub, 0),
    Parent ! collect(10, 0).

spawn_children(_, _, _, 10) -> ok;
spawn_children(Self, Num, Sub, I) ->
    spawn(fun() -> skynet(Self, Num + I * Sub, Sub) end),
    spawn_children(Self, Num, Sub, I + 1).

collect(0, Acc) -> Acc;
collect(N, Acc) -> receive X -> collect(N - 1, Acc + X) end.

pingpong_once(N) ->
    Pong = spawn(fun pong/0),
    T0 = now_ns(),
    ping(Pong, N),
    T1 = now_ns(),
    Pong ! stop,
    seconds(T0, T1).

ping(_, 0) -> ok;
ping(Pong, N) ->
    Pong ! self(),
    receive pong -> ping(Pong, N - 1) end.

pong() ->
    receive
        stop -> ok;
        From -> From ! pong, pong()
    end.

ask_once(Srv, N) ->
    T0 = now_ns(),
    ask_loop(Srv, N),
    T1 = now_ns(),
    seconds(T0, T1).

ask_loop(_, 0) -> ok;
ask_loop(Srv, N) ->
    N = gen_server:call(Srv, N),
    ask_loop(Srv, N - 1).

init([]) -> {ok, nostate}.
handle_call(Msg, _From, State) -> {reply, Msg, State}.
handle_cast(_Msg, State) -> {noreply, State}.

spawn_parked(0) -> ok;
spawn_parked(N) ->
    spawn(fun parked/0),
    spawn_parked(N - 1).

parked() -> receive stop -> ok end.

spawn_idle(0) -> ok;
spawn_idle(N) ->
    spawn(fun() -> erlang:hibernate(?MODULE, idle_wake, []) end),
    spawn_idle(N - 1).

idle_wake() -> receive stop -> ok end.

ring_start(Main) ->
    receive {next, Next} -> ring_loop(Main, Next) end.

ring_loop(Main, Next) ->
    receive
        0 -> Main ! ring_done;
        T -> Next ! T - 1, ring_loop(Main, Next)
    end.

recv_loop(Main, 0) -> Main ! mailbox_done;
recv_loop(Main, N) -> receive _ -> recv_loop(Main, N - 1) end.

spawn_senders(0, _, _) -> ok;
spawn_senders(S, R, K) ->
    spawn(fun() -> send_loop(R, K) end),
    spawn_senders(S - 1, R, K).

send_loop(_, 0) -> ok;
send_loop(R, K) -> R ! K, send_loop(R, K - 1).

%% Enough JSON for a flat object of numbers.
json(Pairs) ->
    Items = [io_lib:format("\"~s\": ~s", [K, num(V)]) || {K, V} <- Pairs],
    ["{", lists:join(", ", Items), "}"].

num(V) when is_integer(V) -> integer_to_list(V);
num(V) when is_float(V) -> float_to_list(V, [short]).
