#!/usr/bin/env bash
# Fails when code reaches a layer it must not (docs/ARCHITECTURE.md). Package.swift already makes
# the compiler refuse an import a target does not declare; this says why each rule exists, and
# keeps the rules that live inside one target: dialect controllers see no store types, and the
# CLI reaches the state only through the service layer or HTTP.
set -euo pipefail
cd "$(dirname "$0")/.."

status=0
# forbid WHERE PATTERN WHY: no line of a Swift file under WHERE may match PATTERN (Perl syntax).
forbid() {
    local matches
    matches=$(grep -rnP --include='*.swift' "$2" $1 || true)
    if [[ -n "$matches" ]]; then
        echo "layer violation: $3"
        echo "$matches" | sed 's/^/    /'
        status=1
    fi
}

forbid Sources/LikenessCore '^(@testable )?import (?!Foundation$)' \
    "LikenessCore (the canonical request, errors, money) imports Foundation only"
forbid Sources/LikenessAPI '^(@testable )?import (?!Foundation$|LikenessCore$)' \
    "LikenessAPI (the wire dialects) imports Foundation and the core only"
forbid Sources/LikenessClient '^(@testable |@_exported )?import (?!Foundation$|FoundationNetworking$|LikenessCore$|LikenessAPI$|LikenessUpstream$)' \
    "the Swift SDK imports Foundation, the core and the wire types only (an app links no server part)"
forbid Sources/LikenessImaging '^(@testable )?import Likeness' "imaging depends on no other Likeness layer"
forbid Sources/LikenessFaces '^(@testable )?import (?!Foundation$|CFaces$|LikenessImaging$|NIOPosix$|Synchronization$)' \
    "face scoring sees only dlib (CFaces), imaging and its threads: no request, store or HTTP"
forbid Sources/LikenessUpstream '^(@testable )?import (?!Foundation$|LikenessCore$)' \
    "LikenessUpstream (the providers' wire, client side) imports Foundation and the core only"
forbid Sources/LikenessEngines '^(@testable )?import (LikenessAPI|LikenessStore|LikenessService|LikenessServer|Hummingbird)' \
    "engines never see how Likeness is called (the dialects), the store or HTTP"
forbid Sources/LikenessStore '^(@testable )?import (LikenessAPI|LikenessEngines|LikenessImaging|LikenessServer|Hummingbird|AsyncHTTPClient)' \
    "storage depends on the core types and its database drivers (SQLite, PostgresNIO on NIO) only, no dialect"
forbid "Sources/LikenessService Sources/LikenessServer" '^(@testable )?import (LikenessCLI|LikenessSimulators|LikenessTestSupport)' \
    "the server libraries do not depend on commands, simulators or test support"
forbid Sources/LikenessService '^(@testable )?import (LikenessAPI|LikenessServer|Hummingbird|HTTPTypes|MCP)' \
    "the core service imports no dialect and no HTTP: routes hand it canonical requests"
forbid "Sources/LikenessServer/HTTP/MiniMax Sources/LikenessServer/HTTP/OpenAI Sources/LikenessServer/HTTP/Fal Sources/LikenessServer/HTTP/MCP Sources/LikenessServer/HTTP/Webhooks Sources/LikenessServer/HTTP/Routing/GenerationEndpoint.swift" \
    '^(@testable )?import LikenessStore' "dialect controllers translate; they see no store type"
forbid Sources/LikenessCLI '\bSQLStore\b|\.store\b|^import CSQLite' \
    "operator commands reach the state through AccountsService or HTTP, never the store"

if ((status == 0)); then echo "layers: every import points down"; fi
exit $status
