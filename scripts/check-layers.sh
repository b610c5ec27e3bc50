#!/usr/bin/env bash
# Fails when code reaches a layer it must not (docs/ARCHITECTURE.md): each target imports only the
# layers below it, dialect controllers see no store types, the core service knows no dialect, and
# the CLI reaches the state only through the service layer or HTTP.
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
forbid Sources/LikenessClient '^(@testable |@_exported )?import (?!Foundation$|FoundationNetworking$|LikenessCore$|LikenessAPI$)' \
    "the Swift SDK imports Foundation, the core and the dialects only (an app links no server part)"
forbid Sources/LikenessImaging '^(@testable )?import Likeness' "imaging depends on no other Likeness layer"
forbid Sources/LikenessFaces '^(@testable )?import (?!Foundation$|CFaces$|LikenessImaging$|NIOPosix$|Synchronization$)' \
    "face scoring sees only dlib (CFaces), imaging and its threads: no request, store or HTTP"
forbid Sources/LikenessEngines '^(@testable )?import (LikenessStore|LikenessServer|Hummingbird)' \
    "engines never see the store or HTTP"
forbid Sources/LikenessStore '^(@testable )?import (LikenessAPI|LikenessEngines|LikenessImaging|LikenessServer|Hummingbird|AsyncHTTPClient)' \
    "storage depends on the core types and its database drivers (SQLite, PostgresNIO on NIO) only, no dialect"
forbid Sources/LikenessServer '^(@testable )?import (LikenessCLI|LikenessSimulators|LikenessTestSupport)' \
    "the server library does not depend on commands, simulators or test support"
forbid "Sources/LikenessServer/HTTP/MiniMaxController.swift Sources/LikenessServer/HTTP/OpenAIImagesController.swift Sources/LikenessServer/HTTP/Fal Sources/LikenessServer/HTTP/MCP Sources/LikenessServer/HTTP/Routing/GenerationEndpoint.swift" \
    '^(@testable )?import LikenessStore' "dialect controllers translate; they see no store type"
forbid "Sources/LikenessServer/Generation Sources/LikenessServer/Queue Sources/LikenessServer/Accounts Sources/LikenessServer/Storage" \
    '^(@testable )?import (LikenessAPI|Hummingbird)|\bDialectRendering\b' \
    "the core service imports no dialect and no HTTP"
forbid Sources/LikenessCLI '\bSQLStore\b|\.store\b|^import CSQLite' \
    "operator commands reach the state through AccountsService or HTTP, never the store"

if ((status == 0)); then echo "layers: every import points down"; fi
exit $status
