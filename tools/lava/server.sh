#!/usr/bin/env bash
# A real LAVA lab on this machine, for tests/boot/test_lava_server.py and by
# hand (docs/lava.md): Debian's lava-server (PostgreSQL, gunicorn, the
# scheduler) and lava-dispatcher's lava-worker, one QEMU device whose
# dictionary extends the server's own qemu.jinja2, an admin token for lavacli.
#
#   tools/lava/server.sh start DIR   # DIR: logs, pids, tokens; prints the server URL
#   tools/lava/server.sh stop DIR    # ends exactly the processes start wrote to DIR/pids
#
# Needs root (PostgreSQL's and lava-server's system users) and the packages of
# `tools/install-deps.sh --lava` (lava-server, lava-dispatcher, lavacli,
# postgresql).  No systemd needed: every service is started here, in the
# background, by its own command line.  Every wait has a timeout; when a
# part cannot start, it says which and why (the end of its log) and exits 1.
# Exit status (docs/output.md): 0 ok, 1 a service did not start, 2 usage,
# 125 not root or a package missing.
set -euo pipefail

PORT=${LAVA_PORT:-8089}
WORKER=${LAVA_WORKER:-numaboot-worker}
DEVICE=${LAVA_DEVICE:-qemu-numaboot}
URL="http://127.0.0.1:$PORT"
START_TIMEOUT=120

usage() { echo "usage: tools/lava/server.sh start|stop DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
cmd=$1 dir=$2
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
# the services run as lavaserver and open their logs themselves: a place it may
# write whatever DIR's parents allow (DIR/logs points there)
logs=/var/log/lava-server/numaboot

die() { echo "lava-server.sh: $*" >&2; exit 1; }

stop() {
	if [ -f "$dir/pids" ]; then
		while read -r pid name; do
			kill -- "-$pid" 2>/dev/null && echo "lava-server.sh: stopped $name ($pid)" || true
		done < "$dir/pids"
		rm -f "$dir/pids"
	fi
	if [ -f "$dir/postgres-started" ]; then
		pg_ctlcluster "$(cat "$dir/postgres-started")" main stop && echo "lava-server.sh: stopped PostgreSQL"
		rm -f "$dir/postgres-started"
	fi
}

if [ "$cmd" = stop ]; then
	stop
	exit 0
fi
[ "$cmd" = start ] || usage

[ "$(id -u)" -eq 0 ] || { echo "lava-server.sh: needs root (PostgreSQL and lava-server system users)" >&2; exit 125; }
for tool in lava-server lava-worker lavacli pg_ctlcluster gunicorn3 psql; do
	command -v "$tool" >/dev/null || {
		echo "lava-server.sh: $tool missing: tools/install-deps.sh --lava" >&2; exit 125; }
done

# $1 name, $2 log, then the command: started in the background, its pid kept
spawn() {
	local name=$1 log=$2
	shift 2
	setsid "$@" >>"$log" 2>&1 < /dev/null &
	echo "$! $name" >> "$dir/pids"
}

# wait until "$@" succeeds, at most START_TIMEOUT s; else name the log
wait_for() {
	local what=$1 log=$2
	shift 2
	for _ in $(seq "$START_TIMEOUT"); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 1
	done
	echo "lava-server.sh: $what did not come up in $START_TIMEOUT s; end of $log:" >&2
	tail -n 30 "$log" >&2 || true
	stop
	exit 1
}

mkdir -p "$logs"
chown lavaserver:lavaserver "$logs"
ln -sfn "$logs" "$dir/logs"

# 1. PostgreSQL (the Debian cluster lava-server's postinst expects)
ver=$(pg_lsclusters -h 2>/dev/null | awk 'NR==1 {print $1}')
[ -n "$ver" ] || die "no PostgreSQL cluster (pg_lsclusters shows none): reinstall postgresql"
if ! pg_ctlcluster "$ver" main status >/dev/null 2>&1; then
	pg_ctlcluster "$ver" main start 2>>"$logs/postgres.log" || true
	echo "$ver" > "$dir/postgres-started"      # stop ends it again
fi
wait_for "PostgreSQL $ver" "/var/log/postgresql/postgresql-$ver-main.log" \
	su postgres -c "psql -q -c 'select 1'"

# 2. the database, the configuration and the schema: the package's own postinst step
/usr/bin/python3 /usr/share/lava-server/postinst.py --config --db > "$logs/postinst.log" 2>&1 ||
	{ tail -n 30 "$logs/postinst.log" >&2; die "lava-server's database setup failed"; }

# 3. the web and API server, and the scheduler
: > "$dir/pids"
spawn gunicorn "$logs/gunicorn.log" gunicorn3 lava_server.wsgi --bind "127.0.0.1:$PORT" \
	-u lavaserver -g lavaserver --worker-class eventlet --workers 2 --timeout 120 --log-file "$logs/gunicorn.log"
wait_for "lava-server (gunicorn on port $PORT)" "$logs/gunicorn.log" curl -sf "$URL/api/v0.2/system/version/"
spawn lava-scheduler "$logs/scheduler.log" lava-server manage lava-scheduler --level DEBUG \
	--log-file "$logs/scheduler.log"

# 4. users, the device type, the worker and its device
# add admin unless it is there; an add that finds it there already (a list
# that missed it: seen once in CI) is fine, any other failure is not
if ! lava-server manage users list 2>/dev/null | grep -qw admin; then
	lava-server manage users add --superuser --staff --passwd "$(head -c 12 /dev/urandom | base64)" \
		admin > "$logs/users.log" 2>&1 ||
		grep -q 'Key (username)=(admin) already exists' "$logs/users.log" ||
		{ tail -n 30 "$logs/users.log" >&2; die "cannot create lava-server's admin user"; }
fi
tok=$(lava-server manage tokens list --user admin 2>/dev/null | sed -n 's/^\* *\([A-Za-z0-9]\{20,\}\).*/\1/p' | head -n 1)
[ -n "$tok" ] || tok=$(lava-server manage tokens add --user admin)
echo "$tok" > "$dir/admin.token"
lava-server manage device-types list 2>/dev/null | grep -qw qemu || lava-server manage device-types add qemu
lava-server manage workers list 2>/dev/null | grep -qw "$WORKER" ||
	lava-server manage workers add "$WORKER" > /dev/null
wtok=$(lava-server manage workers details "$WORKER" 2>/dev/null | sed -n 's/.*token *: *\([A-Za-z0-9]*\).*/\1/p')
[ -n "$wtok" ] || die "no token for worker $WORKER (lava-server manage workers details)"
cat > "/etc/lava-server/dispatcher-config/devices/$DEVICE.jinja2" <<'EOF'
{% extends 'qemu.jinja2' %}
{% set netdevice = 'user' %}
{% set no_kvm = True %}
EOF
lava-server manage devices list -a 2>/dev/null | grep -qw "$DEVICE" ||
	lava-server manage devices add --device-type qemu --worker "$WORKER" "$DEVICE"
lava-server manage devices update --health GOOD "$DEVICE" >/dev/null

# 5. the worker: lava-dispatcher's lava-worker, talking to the server over HTTP
spawn lava-worker "$logs/worker.log" lava-worker --name "$WORKER" --url "$URL/" --token "$wtok" \
	--worker-dir "$dir/worker" --level DEBUG --log-file "$logs/worker.log"
wait_for "the worker $WORKER (state Online)" "$logs/worker.log" \
	sh -c "curl -sf -H 'Authorization: Token $tok' '$URL/api/v0.2/workers/$WORKER/' | grep -q '\"state\": *\"Online\"'"

# every service still running? (one that died after starting names its log)
while read -r pid name; do
	kill -0 "$pid" 2>/dev/null && continue
	echo "lava-server.sh: $name ($pid) died; end of its log:" >&2
	tail -n 30 "$logs/${name#lava-}.log" >&2 2>/dev/null || true
	stop
	exit 1
done < "$dir/pids"

# 6. lavacli's identity; jobs an earlier run of this local lab left queued are cancelled
lavacli identities add --uri "$URL/RPC2" --username admin --token "$tok" numaboot-local
for job in $(lavacli -i numaboot-local jobs list --state SUBMITTED 2>/dev/null | sed -n 's/^\* \([0-9]*\):.*/\1/p'); do
	lavacli -i numaboot-local jobs cancel "$job" && echo "lava-server.sh: cancelled job $job, left queued" >&2
done
echo "$URL"
