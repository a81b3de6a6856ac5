; Inno Setup 6 script for Hearth on Windows. Not built or tested on the Linux
; build machine; kept minimal so it stays easy to check by eye.
;
;   bash packaging/build_bundle.sh          (Git Bash, Python 3.11 for Windows;
;                                            makes dist\hearth\ with hearth-gui.exe
;                                            and hearth.exe)
;   iscc /DAppVersion=0.1.0 packaging\windows\hearth.iss
;
; AppVersion defaults to the version in pyproject.toml (a test keeps them equal);
; pass /DAppVersion=... to override. Output: dist\hearth-<version>-setup.exe.
; Per-user install by default (no admin needed); the user may choose all users.

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#define AppName "Hearth"
#define BundleDir "..\..\dist\hearth"

[Setup]
AppId={{8F4D2A67-3B1C-4E8A-9C55-2D7E0B1F6A93}
AppName={#AppName}
AppVersion={#AppVersion}
AppPublisher=Hearth developers
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\..\dist
OutputBaseFilename=hearth-{#AppVersion}-setup
Compression=lzma2
SolidCompression=yes
WizardStyle=modern
UninstallDisplayIcon={app}\hearth-gui.exe

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "{#BundleDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\hearth-gui.exe"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\hearth-gui.exe"; Tasks: desktopicon

[Run]
Filename: "{app}\hearth-gui.exe"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent
