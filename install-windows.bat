@echo off
rem SEIDRA Ultimate on Windows: checks for WSL2 and runs install-linux.sh inside it.
rem Why WSL2: the GPU stack (CUDA PyTorch, xFormers) and Redis are built for Linux and run best
rem there; WSL2 passes the NVIDIA GPU through (driver 535+ on Windows), and the Linux installer
rem stays the one way to install. Options are passed on: --dry-run, --no-models, --help.
setlocal

where wsl.exe >nul 2>&1
if errorlevel 1 goto no_wsl
wsl.exe --status >nul 2>&1
if errorlevel 1 goto no_wsl

rem WSL1 kernels say "Microsoft", WSL2 kernels "microsoft-standard-WSL2".
wsl.exe -e sh -c "uname -r | grep -qi wsl2"
if errorlevel 1 goto wsl1

echo WSL2 found: running install-linux.sh inside it (in %~dp0).
echo Tip: a clone inside the Linux file system (e.g. ~/seidra) is much faster than one under /mnt/c.
wsl.exe --cd "%~dp0" -e bash ./install-linux.sh %*
if errorlevel 1 (
  echo install-linux.sh failed: read its messages above.
  exit /b 1
)
echo.
echo Installed. Start SEIDRA from WSL: wsl --cd "%~dp0" ./start-seidra.sh
echo then open http://127.0.0.1:8000/ in your Windows browser.
exit /b 0

:no_wsl
echo WSL is not installed. In an administrator PowerShell run:
echo     wsl --install -d Ubuntu-22.04
echo restart Windows, open Ubuntu once to create your user, then run install-windows.bat again.
exit /b 1

:wsl1
echo Your default WSL distribution runs under WSL1, which has no GPU access. Convert it:
echo     wsl --set-default-version 2
echo     wsl --set-version Ubuntu-22.04 2
echo then run install-windows.bat again.
exit /b 1
