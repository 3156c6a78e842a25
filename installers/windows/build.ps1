# Build the Windows installer: PyInstaller bundle (installers/common/studio.spec), then Inno Setup.
# Run in a PowerShell on Windows with Python 3.11 and Inno Setup 6 (iscc on PATH):
#   powershell -ExecutionPolicy Bypass -File installers\windows\build.ps1
$ErrorActionPreference = "Stop"
$Root = Resolve-Path "$PSScriptRoot\..\.."
$Bundle = Get-Content "$Root\installers\common\bundle.json" | ConvertFrom-Json
$Version = (Select-String -Path "$Root\pyproject.toml" -Pattern '^version = "([^"]+)"').Matches[0].Groups[1].Value
python -m venv "$Root\build\winenv"
& "$Root\build\winenv\Scripts\pip" install $Bundle.torch --index-url https://download.pytorch.org/whl/cpu
& "$Root\build\winenv\Scripts\pip" install "$Root" pyinstaller
& "$Root\build\winenv\Scripts\pyinstaller" --noconfirm --distpath "$Root\build\dist" "$Root\installers\common\studio.spec"
iscc /DAppVersion=$Version /DAppId=$($Bundle.app_id) /DAppName=$($Bundle.name) /DExeName=$($Bundle.console_script) "$Root\installers\windows\studio.iss"
