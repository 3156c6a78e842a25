; Inno Setup script for Studio. Values come from installers/common/bundle.json via build.ps1 (/D defines).
#ifndef AppVersion
  #error Run installers\windows\build.ps1: it passes AppVersion, AppId, AppName and ExeName from bundle.json
#endif

[Setup]
AppId={#AppId}
AppName={#AppName}
AppVersion={#AppVersion}
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
OutputDir=..\..\build\dist
OutputBaseFilename=studio-{#AppVersion}-windows-x64-setup
ArchitecturesInstallIn64BitMode=x64compatible
Compression=lzma2/fast
SolidCompression=yes
PrivilegesRequiredOverridesAllowed=dialog

[Files]
Source: "..\..\build\dist\{#ExeName}\*"; DestDir: "{app}"; Flags: recursesubdirs createallsubdirs ignoreversion

[Icons]
Name: "{group}\{#AppName}"; Filename: "{app}\{#ExeName}.exe"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#ExeName}.exe"; Tasks: desktopicon

[Tasks]
Name: "desktopicon"; Description: "Create a desktop icon"; Flags: unchecked

[Run]
Filename: "{app}\{#ExeName}.exe"; Description: "Start {#AppName}"; Flags: nowait postinstall skipifsilent
