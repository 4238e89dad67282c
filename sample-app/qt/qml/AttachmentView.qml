import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Confab

// One file of a message. An image is laid out at its pixel size (scaled to fit) from the
// start, showing its small preview until the file itself is on the device (images are
// fetched by themselves); another file is a chip with its name and size, downloaded on a
// click and then opened. While it uploads or downloads, a bar shows how far it is, with
// Cancel; an upload that failed says so.
Item {
    id: view
    property var file: ({})
    property bool own: false
    property var localId: 0
    property bool uploading: false
    readonly property var chat: app.chat
    readonly property bool image: file.width > 0 && file.height > 0
    readonly property bool moving: file.transfer === "running" || file.transfer === "queued"
    readonly property real scale: image ? Math.min(1, 260 / file.width, 200 / file.height) : 1

    implicitWidth: image ? Math.max(80, file.width * scale) : chip.implicitWidth
    implicitHeight: image ? Math.max(48, file.height * scale) + (bar.visible ? 8 : 0) : chip.implicitHeight

    function humanSize(bytes) {
        if (bytes < 1024) return qsTr("%1 B").arg(bytes)
        if (bytes < 1024 * 1024) return qsTr("%1 KB").arg(Math.round(bytes / 1024))
        return qsTr("%1 MB").arg((bytes / (1024 * 1024)).toFixed(1))
    }

    // Images come by themselves once the server has them.
    Component.onCompleted: {
        if (image && !uploading && file.attachmentId !== "" && file.fileUrl === "" && file.transfer === "")
            chat.download(file)
    }

    Rectangle {
        visible: view.image
        width: parent.width
        height: Math.max(48, view.file.height * view.scale)
        radius: 10
        clip: true
        color: Theme.divider
        Image {
            anchors.fill: parent
            source: view.file.fileUrl !== "" ? view.file.fileUrl : view.file.preview
            fillMode: Image.PreserveAspectCrop
            smooth: true
            asynchronous: true
        }
    }

    Rectangle {
        id: chip
        visible: !view.image
        implicitWidth: chipRow.implicitWidth + 20
        implicitHeight: chipRow.implicitHeight + 14
        radius: 10
        color: view.own ? Qt.rgba(1, 1, 1, 0.16) : Theme.raised
        border.width: view.own ? 0 : 1
        border.color: Theme.divider
        RowLayout {
            id: chipRow
            anchors.centerIn: parent
            spacing: 10
            Text {
                text: "\uD83D\uDCC4"
                font.pixelSize: 22
            }
            ColumnLayout {
                spacing: 1
                Text {
                    text: view.file.name !== "" ? view.file.name : qsTr("File")
                    elide: Text.ElideMiddle
                    Layout.maximumWidth: 220
                    color: view.own ? Theme.bubbleOwnText : Theme.text
                    font.family: Theme.fontFamily
                    font.pixelSize: Theme.fontSize
                    font.weight: Font.DemiBold
                }
                Text {
                    text: view.file.transfer === "queued" && view.file.progress === 0
                          ? qsTr("Waiting to %1 · %2").arg(view.uploading ? qsTr("upload") : qsTr("download"))
                                                      .arg(view.humanSize(view.file.size))
                        : view.moving ? qsTr("%1 of %2").arg(view.humanSize(view.file.size * view.file.progress))
                                                         .arg(view.humanSize(view.file.size))
                        : view.file.transfer === "failed" ? qsTr("Upload failed")
                        : view.humanSize(view.file.size)
                    color: view.file.transfer === "failed" ? Theme.danger
                         : view.own ? Theme.bubbleOwnMuted : Theme.textMuted
                    font.family: Theme.fontFamily
                    font.pixelSize: Theme.smallFontSize
                }
            }
            LinkButton {
                visible: view.moving || (!view.uploading && view.file.attachmentId !== "")
                color: view.own ? Theme.bubbleOwnText : Theme.accent
                text: view.moving ? qsTr("Cancel") : view.file.fileUrl !== "" ? qsTr("Open") : qsTr("Download")
                onClicked: {
                    if (view.moving && view.uploading) view.chat.cancelUpload(view.localId)
                    else if (view.moving) view.chat.cancelDownload(view.file.attachmentId)
                    else if (view.file.fileUrl !== "") Qt.openUrlExternally(view.file.fileUrl)
                    else view.chat.download(view.file)
                }
            }
        }
    }

    ProgressBar {
        id: bar
        visible: view.moving
        anchors.left: parent.left
        anchors.right: parent.right
        anchors.bottom: parent.bottom
        anchors.margins: view.image ? 6 : 4
        height: 4
        from: 0
        to: 1
        value: view.file.progress
    }
}
